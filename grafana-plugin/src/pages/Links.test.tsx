import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { testIds } from '../components/testIds';
import { renderApp } from '../test/render';
import { dsAnswer, seenSql, server } from '../test/server';

describe('Links page', () => {
  it('shows the region×region matrix and switches figures', async () => {
    const user = userEvent.setup();
    renderApp('/a/meridian-fabric-app/links');
    const matrix = await screen.findByTestId(testIds.links.matrix);
    const cell = within(matrix).getByTestId(testIds.links.cell('eu-west', 'us-east'));
    expect(cell).toHaveTextContent('96.30 ms');
    // 6,500 km of fiber at 0.004897 ms/km, plus 0.6 ms of equipment, each way: 2 × 32.43 ms.
    expect(cell).toHaveTextContent('floor 64.9 ms');
    await user.click(screen.getByRole('radio', { name: 'Loss' }));
    expect(within(matrix).getByTestId(testIds.links.cell('eu-west', 'us-east'))).toHaveTextContent('1.70%');
  });

  it('opens a link history with optics when a cell is clicked', async () => {
    const user = userEvent.setup();
    renderApp('/a/meridian-fabric-app/links');
    await user.click(await screen.findByTestId(testIds.links.cell('eu-west', 'us-east')));
    const history = await screen.findByTestId(testIds.links.history);
    expect(await within(history).findByTestId(testIds.chart('optic_rx_power'))).toBeInTheDocument();
    expect(seenSql.history).toContain("link_id = 'eu-west->us-east'");
    expect(seenSql.history).toContain('/ $__interval_s AS fec_corrected_per_s');
    // The pair's elected probers are named, and asked for in the summary query.
    expect(history).toHaveTextContent('Probed from gpu-ew-03, gpu-ew-11.');
    expect(seenSql.links).toContain("arraySort(groupUniqArray(8)(host)), ', ') AS probed_by");
    // FEC was not collected on this probe path: no empty chart for it.
    expect(within(history).queryByTestId(testIds.chart('fec_corrected'))).toBeNull();
  });

  it('explains an empty matrix', async () => {
    server.use(dsAnswer({ regions: [], links: [], topology: [] }));
    renderApp('/a/meridian-fabric-app/links');
    expect(await screen.findByText('No inter-region link measurements in this range')).toBeInTheDocument();
  });
});

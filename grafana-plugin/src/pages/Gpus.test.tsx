import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { testIds } from '../components/testIds';
import { gpuRow } from '../test/fixtures';
import { renderApp } from '../test/render';
import { dsAnswer, http, HttpResponse, server } from '../test/server';

// 10,000 GPUs across 8 regions, as the twin's `large` scenario has them.
const REGIONS = ['ap-south', 'ap-east', 'eu-north', 'eu-west', 'sa-east', 'us-central', 'us-east', 'us-west'];
const FLEET = Array.from({ length: 10_000 }, (_, i) =>
  gpuRow(i, { region: REGIONS[i % 8], util: (i * 37) % 100, temp_max: 50 + (i % 40) }),
);

describe('GPU table', () => {
  it('renders one page of 50 rows out of 10,000 GPUs, sorted by utilization', async () => {
    server.use(dsAnswer({ gpus: FLEET }));
    renderApp('/a/meridian-fabric-app/gpus');
    const table = await screen.findByTestId(testIds.gpus.table);
    expect(screen.getByTestId(testIds.gpus.count)).toHaveTextContent('10,000 of 10,000 GPUs');
    const rows = within(table).getAllByRole('row');
    expect(rows).toHaveLength(51); // header + one page
    // Default sort: busiest first (99 %).
    expect(rows[1]).toHaveTextContent('99%');
  });

  it('filters by region and sorts by temperature both ways', async () => {
    const user = userEvent.setup();
    server.use(dsAnswer({ gpus: FLEET }));
    renderApp('/a/meridian-fabric-app/gpus');
    await screen.findByTestId(testIds.gpus.table);
    await user.type(screen.getByTestId(testIds.gpus.filter), 'sa-east');
    expect(screen.getByTestId(testIds.gpus.count)).toHaveTextContent('1,250 of 10,000 GPUs');
    await user.click(screen.getByRole('button', { name: /Temp max/ }));
    let rows = within(screen.getByTestId(testIds.gpus.table)).getAllByRole('row');
    expect(rows[1]).toHaveTextContent('sa-east');
    expect(rows[1]).toHaveTextContent('86 °C');
    await user.click(screen.getByRole('button', { name: /Temp max/ }));
    rows = within(screen.getByTestId(testIds.gpus.table)).getAllByRole('row');
    expect(rows[1]).toHaveTextContent('54 °C');
  });

  it('pages through the fleet', async () => {
    const user = userEvent.setup();
    server.use(dsAnswer({ gpus: FLEET.slice(0, 120) }));
    renderApp('/a/meridian-fabric-app/gpus');
    await screen.findByTestId(testIds.gpus.table);
    await user.click(screen.getByRole('button', { name: '3' }));
    expect(within(screen.getByTestId(testIds.gpus.table)).getAllByRole('row')).toHaveLength(21);
  });

  it('has an empty state and an error state', async () => {
    server.use(dsAnswer({ gpus: [] }));
    const first = renderApp('/a/meridian-fabric-app/gpus');
    expect(await screen.findByText('No GPUs reported in this range')).toBeInTheDocument();
    first.unmount();
    server.use(
      http.post('http://grafana.test/api/ds/query', () => HttpResponse.json({ message: 'timeout' }, { status: 504 })),
    );
    renderApp('/a/meridian-fabric-app/gpus');
    expect(await screen.findByText(/ClickHouse data source: cannot be reached \(timeout\)/)).toBeInTheDocument();
  });
});

import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { testIds } from '../components/testIds';
import { gpuRow } from '../test/fixtures';
import { renderApp } from '../test/render';
import { defaultTables, dsAnswer, seenSql, server } from '../test/server';

// GPU → workload attribution (issue 13 §3): gpu_assignments rows as the ClickHouse data source returns them.
const GPUS = Array.from({ length: 16 }, (_, i) => gpuRow(i, { temp_max: 60 + i }));
const uuid = (i: number) => String(gpuRow(i).gpu_uuid);
const host = (i: number) => String(gpuRow(i).host);
const HOLDERS = [
  ...[0, 1, 2, 3].map((i) => ({
    host: host(i),
    gpu_uuid: uuid(i),
    mig_instance: '',
    orchestrator: 'kubernetes',
    namespace: 'ml-train',
    pod: `llama-pretrain-worker-${i}`,
    workload_id: 'ml-train/llama-pretrain-worker',
  })),
  {
    host: host(9),
    gpu_uuid: uuid(9),
    mig_instance: '',
    orchestrator: 'slurm',
    namespace: 'east',
    pod: '4711',
    workload_id: 'east:4711',
  },
];

describe('GPU → workload in the app', () => {
  it('shows who holds each GPU in the table, filters by namespace or pod, and links to the workload', async () => {
    const user = userEvent.setup();
    server.use(dsAnswer({ gpus: GPUS, holders: HOLDERS }));
    renderApp('/a/meridian-fabric-app/gpus?from=now-6h&to=now');
    const table = await screen.findByTestId(testIds.gpus.table);
    expect(seenSql.holders).toContain(
      'FROM gpu_assignments FINAL WHERE gpu_assignments.ts <= $__toTime AND gpu_assignments.ts_end >= $__fromTime',
    );
    // The workload is the observer's record of the pod where it has one (pod_workloads, migration 0011).
    expect(seenSql.holders).toContain(
      'ASOF LEFT JOIN (SELECT region, namespace, pod, ts, workload_id FROM pod_workloads FINAL',
    );
    const row = within(table).getByTestId(testIds.gpus.row(uuid(2)));
    const link = within(row).getByRole('link', { name: 'ml-train/llama-pretrain-worker-2' });
    expect(link.getAttribute('href')).toBe(
      `/a/meridian-fabric-app/gpus/${uuid(2)}?from=now-6h&to=now&workload=ml-train%2Fllama-pretrain-worker`,
    );
    await user.type(screen.getByTestId(testIds.gpus.filter), 'ml-train');
    expect(screen.getByTestId(testIds.gpus.count)).toHaveTextContent('4 of 16 GPUs');
    await user.clear(screen.getByTestId(testIds.gpus.filter));
    await user.type(screen.getByTestId(testIds.gpus.filter), '4711');
    expect(screen.getByTestId(testIds.gpus.count)).toHaveTextContent('1 of 16 GPUs');
    expect(within(screen.getByTestId(testIds.gpus.table)).getByText('east/4711')).toBeInTheDocument();
  });

  it("shows a GPU's holders and its workload's regions, moves and holds", async () => {
    server.use(
      dsAnswer({
        gpus: [GPUS[2]!],
        holders: [HOLDERS[2]!],
        intervals: [
          {
            ts: '2026-12-07 00:10:00.000',
            ts_end: '2100-01-01 00:00:00.000',
            mig_instance: '',
            orchestrator: 'kubernetes',
            namespace: 'ml-train',
            pod: 'llama-pretrain-worker-2',
            workload_id: 'ml-train/llama-pretrain-worker',
          },
          {
            ts: '2026-12-06 22:00:00.000',
            ts_end: '2026-12-06 23:30:00.000',
            mig_instance: '',
            orchestrator: 'kubernetes',
            namespace: 'ml-eval',
            pod: 'eval-7xq2z',
            workload_id: 'ml-eval/eval',
          },
        ],
        placements: [
          { region: 'us-east', host: 'iad-gpu-004', ts: '2026-12-06 20:00:00.000', ts_end: '2026-12-07 00:05:00.000' },
          { region: 'eu-west', host: host(2), ts: '2026-12-07 00:10:00.000', ts_end: '2100-01-01 00:00:00.000' },
        ],
        decisions: [
          {
            ts: '2026-12-07 00:04:00.000',
            action: 'move',
            region_from: 'us-east',
            region_to: 'eu-west',
            reason: 'us-east runs hot',
            outcome: 'verified',
          },
        ],
      }),
    );
    renderApp(`/a/meridian-fabric-app/gpus/${uuid(2)}?from=now-6h&to=now&workload=ml-train%2Fllama-pretrain-worker`);
    const holders = await screen.findByTestId(testIds.gpus.holders);
    expect(await within(holders).findByText('2026-12-07 00:10 → running')).toBeInTheDocument();
    expect(within(holders).getByText('2026-12-06 22:00 → 2026-12-06 23:30')).toBeInTheDocument();
    expect(seenSql.intervals).toContain(`gpu_uuid = '${uuid(2)}'`);
    const history = await screen.findByTestId(testIds.gpus.workload);
    expect(history).toHaveTextContent('Workload ml-train/llama-pretrain-worker');
    expect(
      await within(history).findByText(/us-east \/ iad-gpu-004: 2026-12-06 20:00 → 2026-12-07 00:05/),
    ).toBeInTheDocument();
    expect(within(history).getByText(/move us-east → eu-west \(verified\): us-east runs hot/)).toBeInTheDocument();
    expect(seenSql.decisions).toContain("workload_id = 'ml-train/llama-pretrain-worker'");
  });

  it('answers "who is on the hottest GPUs" on the Overview', async () => {
    server.use(
      dsAnswer({
        ...defaultTables,
        hottest: [
          {
            region: 'eu-west',
            host: host(15),
            gpu_uuid: uuid(15),
            temp_max: 91,
            util: 99,
            namespace: 'ml-train',
            pod: 'llama-pretrain-worker-7',
            workload_id: 'ml-train/llama-pretrain-worker',
          },
          {
            region: 'eu-west',
            host: host(14),
            gpu_uuid: uuid(14),
            temp_max: 88,
            util: 10,
            namespace: '',
            pod: '',
            workload_id: '',
          },
        ],
      }),
    );
    renderApp('/a/meridian-fabric-app/overview?from=now-6h&to=now');
    const hottest = await screen.findByTestId(testIds.overview.hottest);
    const link = await within(hottest).findByRole('link', { name: 'ml-train/llama-pretrain-worker-7' });
    expect(link.getAttribute('href')).toBe(
      `/a/meridian-fabric-app/gpus/${uuid(15)}?from=now-6h&to=now&workload=ml-train%2Fllama-pretrain-worker`,
    );
    expect(within(hottest).getByText('nobody')).toBeInTheDocument();
    expect(within(hottest).getByText('91 °C')).toBeInTheDocument();
    expect(seenSql.hottest).toContain('ORDER BY temp_max DESC LIMIT 10');
  });
});

import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { gpuRow } from '../../test/fixtures';
import { renderApp } from '../../test/render';
import { dsAnswer, seenSql, server } from '../../test/server';
import { profilingTestIds } from './GpuProfiling';

const base = { region: 'eu-west', busy_source: '', nvml_util: null, sm_active: null, tensor_active: null };

// A DCGM host (SM active far below NVML's figure), a plain host, and a MIG GPU with two instances.
const PROFILING = [
  {
    ...base,
    host: 'dcgm-1',
    gpu_uuid: 'GPU-d',
    mig_instance: '',
    nvml_util: 97,
    sm_active: 41,
    tensor_active: 23,
    busy: 41,
    busy_source: 'sm_active',
    nvlink_errors: 12,
    energy_kwh: 3.5,
  },
  {
    ...base,
    host: 'plain-1',
    gpu_uuid: 'GPU-p',
    mig_instance: '',
    nvml_util: 64,
    busy: 64,
    busy_source: 'nvml',
    nvlink_errors: null,
    energy_kwh: null,
  },
  {
    ...base,
    host: 'mig-1',
    gpu_uuid: 'GPU-m',
    mig_instance: '',
    busy: 55,
    busy_source: 'gr_engine_active',
    nvlink_errors: 40,
    energy_kwh: 1,
  },
  {
    ...base,
    host: 'mig-1',
    gpu_uuid: 'GPU-m',
    mig_instance: '3',
    busy: 50,
    busy_source: 'gr_engine_active',
    tensor_active: 30,
  },
  {
    ...base,
    host: 'mig-1',
    gpu_uuid: 'GPU-m',
    mig_instance: '5',
    busy: 60,
    busy_source: 'gr_engine_active',
    tensor_active: 31,
  },
];

describe('GPU page: how busy, NVLink and energy', () => {
  it('shows NVML beside SM and tensor activity, MIG instances under their GPU, worst NVLink first', async () => {
    server.use(dsAnswer({ gpus: [gpuRow(0)], profiling: PROFILING }));
    renderApp('/a/meridian-fabric-app/gpus');
    const box = await screen.findByTestId(profilingTestIds.container);
    const rows = within(box).getAllByRole('row').slice(1);
    // Worst NVLink first: the MIG GPU (40) and its instances, the DCGM GPU (12), the plain one (none).
    expect(rows.map((r) => r.getAttribute('data-testid'))).toEqual([
      profilingTestIds.row('GPU-m'),
      profilingTestIds.row('GPU-m', '3'),
      profilingTestIds.row('GPU-m', '5'),
      profilingTestIds.row('GPU-d'),
      profilingTestIds.row('GPU-p'),
    ]);
    const dcgm = screen.getByTestId(profilingTestIds.row('GPU-d'));
    expect(dcgm).toHaveTextContent('97%');
    expect(dcgm).toHaveTextContent('41% (DCGM SM active)');
    expect(dcgm).toHaveTextContent('23%');
    expect(dcgm).toHaveTextContent('3.50 kWh');
    expect(screen.getByTestId(profilingTestIds.row('GPU-m', '3'))).toHaveTextContent(
      '50% (DCGM graphics-engine active (MIG))',
    );
    // The plain host says what it cannot report, never a zero.
    const plain = screen.getByTestId(profilingTestIds.row('GPU-p'));
    expect(plain).toHaveTextContent('not reported: no DCGM profiling on this host');
    expect(plain).toHaveTextContent('64% (NVML utilization (no profiling on this host))');
    expect(plain).toHaveTextContent('not reported on this host');
    expect(screen.getByTestId(profilingTestIds.note)).toHaveTextContent('1 of 3 GPUs report no DCGM profiling');
    // The query reads the catalog's columns through its rule.
    expect(seenSql.profiling).toContain('util_sm_active');
    expect(seenSql.profiling).toContain('nvlink_replay_errors_inc');
  });

  it('has an empty state', async () => {
    server.use(dsAnswer({ gpus: [gpuRow(0)], profiling: [] }));
    renderApp('/a/meridian-fabric-app/gpus');
    expect(await screen.findByText('No GPU activity in this range')).toBeInTheDocument();
  });
});

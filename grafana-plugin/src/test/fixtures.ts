import type { Row } from '../data/dsQuery';
import type { Alert, Decision, PlanResponse, SchedulerState } from '../data/schedulerApi';

/** A Grafana data frame (wire JSON) from row objects, as /api/ds/query returns them. */
export function frame(rows: Row[]) {
  const names = rows.length ? Object.keys(rows[0]!) : [];
  return {
    schema: { fields: names.map((name) => ({ name, type: typeof rows[0]![name] === 'number' ? 'number' : 'string' })) },
    data: { values: names.map((n) => rows.map((r) => r[n] ?? null)) },
  };
}

const T0 = Date.UTC(2026, 10, 24, 18, 0, 0);

/** Three regions as the sim's default scenario lays them out: Frankfurt, Stockholm, Ashburn. */
export const topology: Row[] = [
  {
    kind: 'link',
    id: 'eu-west->eu-north',
    region: 'eu-west',
    region_to: 'eu-north',
    lat: 0,
    lon: 0,
    route_km: 1500,
    capacity_gbps: 400,
    equipment_delay_ms: 0.4,
    gpus: 0,
  },
  {
    kind: 'link',
    id: 'eu-north->eu-west',
    region: 'eu-north',
    region_to: 'eu-west',
    lat: 0,
    lon: 0,
    route_km: 1500,
    capacity_gbps: 400,
    equipment_delay_ms: 0.4,
    gpus: 0,
  },
  {
    kind: 'link',
    id: 'eu-west->us-east',
    region: 'eu-west',
    region_to: 'us-east',
    lat: 0,
    lon: 0,
    route_km: 6500,
    capacity_gbps: 800,
    equipment_delay_ms: 0.6,
    gpus: 0,
  },
  {
    kind: 'region',
    id: 'eu-north',
    region: 'eu-north',
    region_to: '',
    lat: 59.33,
    lon: 18.07,
    route_km: 0,
    capacity_gbps: 0,
    equipment_delay_ms: 0,
    gpus: 512,
  },
  {
    kind: 'region',
    id: 'eu-west',
    region: 'eu-west',
    region_to: '',
    lat: 50.11,
    lon: 8.68,
    route_km: 0,
    capacity_gbps: 0,
    equipment_delay_ms: 0,
    gpus: 1024,
  },
  {
    kind: 'region',
    id: 'us-east',
    region: 'us-east',
    region_to: '',
    lat: 39.04,
    lon: -77.49,
    route_km: 0,
    capacity_gbps: 0,
    equipment_delay_ms: 0,
    gpus: 2048,
  },
];

export const regions: Row[] = [
  {
    region: 'eu-north',
    hosts: 64,
    gpus: 512,
    util: 41.5,
    power: 179_200,
    temp_max: 71,
    throttled: 0,
    xid_errors: 0,
    ecc_dbe: 0,
  },
  {
    region: 'eu-west',
    hosts: 128,
    gpus: 1024,
    util: 93.2,
    power: 614_400,
    temp_max: 86,
    throttled: 0.08,
    xid_errors: 3,
    ecc_dbe: 0,
  },
  {
    region: 'us-east',
    hosts: 256,
    gpus: 2048,
    util: 67.9,
    power: 1_044_480,
    temp_max: 78,
    throttled: 0.01,
    xid_errors: 0,
    ecc_dbe: 0,
  },
];

export const links: Row[] = [
  {
    link_id: 'eu-north->eu-west',
    link_from: 'eu-north',
    link_to: 'eu-west',
    rtt: 15.21,
    rtt_min: 15.02,
    jitter: 0.08,
    loss: 0,
    throughput: 21.5e9,
    probed_by: 'gpu-en-02',
  },
  {
    link_id: 'eu-west->eu-north',
    link_from: 'eu-west',
    link_to: 'eu-north',
    rtt: 15.24,
    rtt_min: 15.03,
    jitter: 0.09,
    loss: 0.01,
    throughput: 22.1e9,
    probed_by: '',
  },
  {
    link_id: 'eu-west->us-east',
    link_from: 'eu-west',
    link_to: 'us-east',
    rtt: 96.3,
    rtt_min: 64.9,
    jitter: 4.2,
    loss: 1.7,
    throughput: 40e9,
    probed_by: 'gpu-ew-03, gpu-ew-11',
  },
];

export const hosts: Row[] = [
  { host: 'fra-gpu-001', gpus: 8, util: 95.1, power: 5600, temp_max: 86, throttled: 0.12, xid_errors: 3, ecc_dbe: 0 },
  { host: 'fra-gpu-002', gpus: 8, util: 90.4, power: 5400, temp_max: 80, throttled: 0.02, xid_errors: 0, ecc_dbe: 0 },
];

export function gpuRow(i: number, over: Partial<Row> = {}): Row {
  return {
    region: 'eu-west',
    host: `fra-gpu-${String(Math.floor(i / 8) + 1).padStart(3, '0')}`,
    gpu_uuid: `GPU-${String(i).padStart(8, '0')}-aaaa-bbbb-cccc-000000000000`,
    mig_instance: '',
    model: 'NVIDIA H100 80GB HBM3',
    mig_profile: '',
    util: 50 + (i % 50),
    mem_used: 40e9 + i * 1e6,
    power: 400 + (i % 300),
    temp_max: 60 + (i % 30),
    throttled: 0,
    xid_errors: 0,
    ...over,
  };
}

/** Host fra-gpu-001's eight GPUs; GPU 0 is in MIG mode with two instances reported under it. */
export const hostGpus: Row[] = [
  ...Array.from({ length: 8 }, (_, i) => gpuRow(i)),
  gpuRow(0, { mig_instance: '1/0', mig_profile: '3g.40gb', util: 70 }),
  gpuRow(0, { mig_instance: '2/0', mig_profile: '3g.40gb', util: 30 }),
];

export function series(column: string, values: number[], stepMs = 60_000): Row[] {
  return values.map((v, i) => ({ time: T0 + i * stepMs, [column]: v }));
}

export const schedulerState: SchedulerState = { paused: false, lastPassTs: T0, lastError: null, observedAt: T0 };

/** GET /api/v1/plan while a plan waits for approval (scheduler requireApproval: true). */
export const planResponse: PlanResponse = {
  pending: true,
  expiresTs: T0 + 900_000,
  plan: {
    passId: 'p-0042',
    ts: T0,
    moves: [
      {
        move: {
          moveId: 'm-0042-1',
          workloadId: 'train-llm-7',
          from: 'eu-west',
          to: 'eu-north',
          gpus: 64,
          reason: 'eu-west hot: mean utilization 93% above the 85% high mark for 10 min; eu-north has 310 free GPUs',
        },
        benefit: 12.4,
        cost: 3.1,
        trigger: 'load',
        limits: ['movesPerPass', 'disruptionBudget'],
      },
    ],
    rejected: [
      {
        workloadId: 'batch-etl-9',
        from: 'us-east',
        to: 'eu-west',
        reason: 'cooldown',
        detail: '14 min left since the last move',
        benefit: 2,
        cost: 0.4,
      },
    ],
  },
};

export const decisions: Decision[] = [
  {
    ts: T0 - 300_000,
    decision_id: 'd-0101',
    pass_id: 'p-0031',
    workload_id: 'infer-chat-3',
    action: 'move',
    region_from: 'eu-west',
    region_to: 'eu-north',
    reason: 'link eu-west->us-east loss 1.7% above 1%: moved pipeline stage away from the degraded link',
    inputs: JSON.stringify({ loss_pct: 1.7, rtt_ms: 96.3, floor_ms: 64.3 }),
    scores: JSON.stringify({ benefit: 8.2, cost: 1.1, margin: 1.5 }),
    limits: [],
    executor: 'twin',
    outcome: 'applied',
    benefit: 8.2,
    cost: 1.1,
  },
  {
    ts: T0 - 600_000,
    decision_id: 'd-0100',
    pass_id: 'p-0030',
    workload_id: 'batch-etl-9',
    action: 'hold',
    region_from: 'us-east',
    region_to: 'eu-west',
    reason: 'held: cooldown 14 min left since the last move of batch-etl-9',
    inputs: JSON.stringify({ cooldown_s: 840 }),
    scores: JSON.stringify({ benefit: 2.0, cost: 0.4 }),
    limits: ['cooldown'],
    executor: 'twin',
    outcome: 'skipped',
    benefit: 2,
    cost: 0.4,
  },
];

export const alerts: Alert[] = [
  {
    labels: {
      alertname: 'MeridianLinkDegraded',
      severity: 'warning',
      region_from: 'eu-west',
      region_to: 'us-east',
      workload_class: 'pipeline',
    },
    summary: 'Loss 1.7% on eu-west->us-east (threshold 1%)',
    startsAt: '2026-11-24T17:40:00.000Z',
  },
];

/** Grafana's /api/prometheus/grafana/api/v1/alerts: a Meridian rule firing, one pending, another app's. */
export const grafanaAlerts = {
  status: 'success',
  data: {
    alerts: [
      {
        labels: {
          alertname: 'GPU Xid error',
          app: 'meridian',
          severity: 'critical',
          region: 'eu-west',
          host: 'eu-west-h03',
          gpu_uuid: 'GPU-3',
          xid: '79',
          nvidia_action: 'RESTART_BM: drain the node and reboot it',
        },
        annotations: { summary: 'Xid 79 on eu-west-h03 (GPU-3): GPU has fallen off the bus' },
        state: 'Alerting',
        activeAt: '2026-11-24T17:41:00Z',
        value: '1e+00',
      },
      {
        labels: { alertname: 'Packet loss on a long-haul link', app: 'meridian', severity: 'warning' },
        annotations: { summary: 'pending, not firing yet' },
        state: 'Pending',
        activeAt: '2026-11-24T17:42:00Z',
      },
      {
        labels: { alertname: 'DiskFull', app: 'other', severity: 'critical' },
        annotations: { summary: 'not Meridian' },
        state: 'Alerting',
        activeAt: '2026-11-24T17:30:00Z',
      },
    ],
  },
};

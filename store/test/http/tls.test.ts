import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient } from '@clickhouse/client';
import { startClickHouseHttp } from '@meridian/store';
import { tempStore } from '../helpers.js';

// The certificate is made at test time; a machine without openssl skips this test and says why.
const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

describe('ClickHouse HTTP interface over TLS', () => {
  const certDir = mkdtempSync(path.join(tmpdir(), 'meridian-tls-'));
  afterAll(() => rmSync(certDir, { recursive: true, force: true }));

  it.skipIf(!hasOpenssl)(
    'serves HTTPS from a certificate and key, and @clickhouse/client reads through it',
    async () => {
      const cert = path.join(certDir, 'cert.pem');
      const key = path.join(certDir, 'key.pem');
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-keyout',
          key,
          '-out',
          cert,
          '-days',
          '1',
          '-subj',
          '/CN=127.0.0.1',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
        ],
        { stdio: 'ignore' },
      );
      const { dir, dispose } = await tempStore();
      const http = await startClickHouseHttp({ dataDir: dir, port: 0, tls: { certFile: cert, keyFile: key } });
      const client = createClient({
        url: http.url,
        username: http.user,
        password: readFileSync(http.passwordFile, 'utf8').trim(),
        tls: { ca_cert: readFileSync(cert) },
      });
      try {
        expect(http.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
        const rows = await client.query({ query: 'SELECT 42 AS x', format: 'JSONEachRow' }).then((r) => r.json());
        expect(rows).toEqual([{ x: 42 }]);
      } finally {
        await client.close();
        await http.close();
        await dispose();
      }
    },
  );
});

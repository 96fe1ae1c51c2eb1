import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeApiError, requestText } from '../../src/kube/http.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

describe('requestText', () => {
  it('gives up on a server that accepts the connection and never answers', async () => {
    const sockets: import('node:net').Socket[] = [];
    server = createServer((socket) => sockets.push(socket)); // accepts, says nothing
    await new Promise<void>((listening) => server!.listen(0, '127.0.0.1', listening));
    const port = (server.address() as { port: number }).port;
    const config = new KubeConfig();
    config.loadFromOptions({
      clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const error = await requestText(config, '/version', { idleTimeoutMs: 200 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeApiError);
    expect((error as Error).message).toMatch(/no answer for 0.2s/);
    for (const socket of sockets) socket.destroy();
  });
});

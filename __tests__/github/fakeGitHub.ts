// A local HTTP server standing in for the GitHub REST API's issue-comment endpoints: list
// (paged, with Link headers), create, update. Faults: refuse writes with 403 as a fork PR's
// read-only token gets, or reject bodies over 65,536 characters with 422 as GitHub does.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeComment {
  id: number;
  body: string;
  /** type as GitHub reports it: 'Bot' for github-actions[bot], 'User' for people. */
  user: { login: string; type?: string };
}

export interface FakeGitHub {
  baseUrl: string;
  comments: FakeComment[];
  requests: string[];
  /** Writes answer 403 "Resource not accessible by integration". */
  readOnly: boolean;
  /**
   * Personal access tokens and the account each acts as: GET /user answers with it and comments
   * are posted as it. Any other token is an installation token (GITHUB_TOKEN): GET /user is
   * refused with 403 and comments are posted as github-actions[bot].
   */
  users: Map<string, { login: string; type: string }>;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  let data = '';
  for await (const chunk of req) data += String(chunk);
  return data;
}

export async function startFakeGitHub(owner = 'acme', repo = 'platform', issue = 42): Promise<FakeGitHub> {
  let nextId = 1000;
  const state = {
    comments: [] as FakeComment[],
    requests: [] as string[],
    readOnly: false,
    users: new Map<string, { login: string; type: string }>(),
  };
  const listPath = `/repos/${owner}/${repo}/issues/${issue}/comments`;
  const commentPath = new RegExp(`^/repos/${owner}/${repo}/issues/comments/(\\d+)$`);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    state.requests.push(`${req.method} ${url.pathname}${url.search}`);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const token = /^(?:token|Bearer) (.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const account = state.users.get(token);
    if (req.method === 'GET' && url.pathname === '/user') {
      if (account) send(200, { ...account, id: 1 });
      else send(403, { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest' });
      return;
    }
    if (req.method === 'GET' && url.pathname === listPath) {
      const perPage = Number(url.searchParams.get('per_page') ?? 30);
      const page = Number(url.searchParams.get('page') ?? 1);
      const items = state.comments.slice((page - 1) * perPage, page * perPage);
      const last = Math.max(1, Math.ceil(state.comments.length / perPage));
      const link: Record<string, string> =
        page < last
          ? {
              link: `<${baseUrl}${listPath}?per_page=${perPage}&page=${page + 1}>; rel="next", <${baseUrl}${listPath}?per_page=${perPage}&page=${last}>; rel="last"`,
            }
          : {};
      send(200, items, link);
      return;
    }
    if (state.readOnly && (req.method === 'POST' || req.method === 'PATCH')) {
      send(403, { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest' });
      return;
    }
    if (req.method === 'POST' && url.pathname === listPath) {
      const { body } = JSON.parse(await readBody(req)) as { body: string };
      if (body.length > 65_536) {
        send(422, { message: 'Validation Failed', errors: [{ message: 'Body is too long (maximum is 65536 characters)' }] });
        return;
      }
      const comment = { id: nextId++, body, user: account ?? { login: 'github-actions[bot]', type: 'Bot' } };
      state.comments.push(comment);
      send(201, comment);
      return;
    }
    const match = commentPath.exec(url.pathname);
    if (req.method === 'PATCH' && match) {
      const { body } = JSON.parse(await readBody(req)) as { body: string };
      if (body.length > 65_536) {
        send(422, { message: 'Validation Failed', errors: [{ message: 'Body is too long (maximum is 65536 characters)' }] });
        return;
      }
      const comment = state.comments.find((c) => c.id === Number(match[1]));
      if (!comment) {
        send(404, { message: 'Not Found' });
        return;
      }
      comment.body = body;
      send(200, comment);
      return;
    }
    send(404, { message: 'Not Found' });
  };
  // A handler that throws is an unhandled rejection, which fails the test run.
  const server: Server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl,
    get comments() {
      return state.comments;
    },
    get requests() {
      return state.requests;
    },
    get users() {
      return state.users;
    },
    get readOnly() {
      return state.readOnly;
    },
    set readOnly(value: boolean) {
      state.readOnly = value;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

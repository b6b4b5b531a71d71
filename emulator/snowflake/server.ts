/**
 * `SnowflakeHttpApi`: the HTTP endpoints snowflake-sdk (3.3.0) calls, answered in the JSON shapes it
 * reads (emulation-notes §3.2-3.6):
 *   POST /session/v1/login-request        → session + token (any account; credentials checked only if `users` is set)
 *   POST /queries/v1/query-request        → JSON result format: rowtype + string rowset, statementTypeId
 *   POST /session?delete=true             → end the session (rolls back its transaction)
 *   POST /queries/v1/abort-request, /queries/{id}/abort-request, /session/heartbeat, /session/token-request,
 *   /telemetry/send                       → tolerated (success)
 *   GET  /monitoring/queries/{id}, /queries/{id}/result → status / cached result of a recent query
 * Request bodies may be gzip- or deflate-encoded. Errors are HTTP 200 `{success:false, code, message, data:{sqlState}}`
 * except authentication failures, which are 401 with Snowflake's session codes.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { gunzipSync, inflateSync } from 'node:zlib';
import { SnowflakeError } from './errors';
import type { Binding, StatementExecutor } from './executor';
import type { Session, SessionStore } from './sessions';

const MAX_BODY = 64 * 1024 * 1024;

export interface HttpApiOptions {
  /** username → password; when absent any credentials are accepted (like fakesnow). */
  users?: Record<string, string>;
  log?: (line: string) => void;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}

const SESSION_PARAMETERS = [
  { name: 'TIMEZONE', value: 'UTC' },
  { name: 'AUTOCOMMIT', value: true },
  { name: 'CLIENT_SESSION_KEEP_ALIVE_HEARTBEAT_FREQUENCY', value: 3600 },
  // stage binding needs PUT, which the emulator does not have: keep array binds inline
  { name: 'CLIENT_STAGE_ARRAY_BINDING_THRESHOLD', value: 1_000_000_000 },
  { name: 'CLIENT_RESULT_COLUMN_CASE_INSENSITIVE', value: false },
  { name: 'TIMESTAMP_OUTPUT_FORMAT', value: 'YYYY-MM-DD HH24:MI:SS.FF3 TZHTZM' },
  { name: 'TIMESTAMP_NTZ_OUTPUT_FORMAT', value: 'YYYY-MM-DD HH24:MI:SS.FF3' },
  { name: 'TIMESTAMP_LTZ_OUTPUT_FORMAT', value: '' },
  { name: 'TIMESTAMP_TZ_OUTPUT_FORMAT', value: '' },
  { name: 'DATE_OUTPUT_FORMAT', value: 'YYYY-MM-DD' },
  { name: 'TIME_OUTPUT_FORMAT', value: 'HH24:MI:SS' },
  { name: 'BINARY_OUTPUT_FORMAT', value: 'HEX' },
];

export class SnowflakeHttpApi {
  readonly server: Server;

  constructor(
    private readonly sessions: SessionStore,
    private readonly executor: StatementExecutor,
    private readonly options: HttpApiOptions = {},
  ) {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 5_000;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://emulator');
      const body = await readBody(req);
      const out = await this.route(req.method ?? 'GET', url, req, body);
      send(res, 200, out);
    } catch (err) {
      if (err instanceof HttpError) send(res, err.status, err.body);
      else {
        this.options.log?.(`snowflake emulator: internal error: ${(err as Error)?.stack ?? err}`);
        send(res, 500, { success: false, code: '261000', message: `Furrow Snowflake emulator internal error: ${(err as Error)?.message ?? err}`, data: null });
      }
    }
  }

  private async route(method: string, url: URL, req: IncomingMessage, body: unknown): Promise<unknown> {
    const path = url.pathname;
    if (method === 'POST' && path === '/session/v1/login-request') return this.login(url, body);
    if (method === 'GET' && path === '/health') return { success: true, sessions: this.sessions.all().length };
    if (method === 'POST' && path === '/telemetry/send') return { success: true, data: null, code: null, message: null };
    if (method === 'POST' && path === '/session/token-request') return this.renew(req);

    const session = this.sessions.get(sessionToken(req));
    if (!session) {
      if (method === 'POST' && path === '/session' && url.searchParams.get('delete') === 'true') return { success: true, data: null, code: null, message: null };
      throw new HttpError(401, {
        success: false,
        data: { nextAction: 'RETRY_LOGIN', authnMethod: 'TOKEN' },
        code: sessionToken(req) ? '390104' : '390101',
        message: sessionToken(req) ? 'Session no longer exists. New login required to access the service.' : 'Authorization header is missing.',
      });
    }
    if (method === 'POST' && path === '/queries/v1/query-request') return this.query(session, body);
    if (method === 'POST' && path === '/session' && url.searchParams.get('delete') === 'true') {
      this.sessions.delete(session);
      await session.serial(() => this.executor.closeSession(session));
      return { success: true, data: null, code: null, message: null };
    }
    if (method === 'POST' && (path === '/session/heartbeat' || path === '/queries/v1/abort-request' || /^\/queries\/[^/]+\/abort-request$/.test(path)))
      return { success: true, data: null, code: null, message: null };
    const monitor = /^\/monitoring\/queries\/([^/]+)$/.exec(path);
    if (method === 'GET' && monitor) {
      const q = session.queries.get(monitor[1]!);
      return { success: true, data: { queries: q ? [{ id: monitor[1], status: q.status }] : [] }, code: null, message: null };
    }
    const result = /^\/queries\/([^/]+)\/result$/.exec(path);
    if (method === 'GET' && result) {
      const q = session.queries.get(result[1]!);
      if (q?.response) return q.response;
      return errorBody(new SnowflakeError('000709', '02000', `Statement ${result[1]} not found`), result[1]!);
    }
    throw new HttpError(404, { success: false, code: '390400', message: `Furrow Snowflake emulator: no route for ${method} ${path}`, data: null });
  }

  private login(url: URL, body: unknown): unknown {
    const data = ((body as { data?: Record<string, unknown> } | null)?.data ?? {}) as Record<string, unknown>;
    const user = String(data.LOGIN_NAME ?? '');
    const users = this.options.users;
    if (users && (users[user] === undefined || users[user] !== data.PASSWORD))
      return { success: false, data: { nextAction: 'RETRY_LOGIN', authnMethod: 'USERNAME_PASSWORD' }, code: '390100', message: 'Incorrect username or password was specified.' };
    const upper = (v: string | null, dflt: string) => (v ? (/^".*"$/.test(v) ? v.slice(1, -1) : v.toUpperCase()) : dflt);
    const s = this.sessions.create(
      user,
      upper(url.searchParams.get('databaseName'), 'FURROW'),
      upper(url.searchParams.get('schemaName'), 'PUBLIC'),
      upper(url.searchParams.get('warehouse'), 'COMPUTE_WH'),
      upper(url.searchParams.get('roleName'), 'PUBLIC'),
    );
    return {
      success: true,
      code: null,
      message: null,
      data: {
        token: s.token,
        masterToken: s.masterToken,
        validityInSeconds: 3600,
        masterValidityInSeconds: 14400,
        displayUserName: user,
        serverVersion: '9.0.0',
        firstLogin: false,
        remMeToken: null,
        remMeValidityInSeconds: 0,
        healthCheckInterval: 45,
        newClientForUpgrade: null,
        sessionId: s.id,
        parameters: SESSION_PARAMETERS,
        sessionInfo: { databaseName: s.database, schemaName: s.schema, warehouseName: s.warehouse, roleName: s.role },
        idToken: null,
        idTokenValidityInSeconds: 0,
        responseData: null,
        mfaToken: null,
        mfaTokenValidityInSeconds: 0,
      },
    };
  }

  private renew(req: IncomingMessage): unknown {
    const s = this.sessions.byMasterToken(sessionToken(req)) ?? this.sessions.get(sessionToken(req));
    if (!s) throw new HttpError(401, { success: false, data: null, code: '390114', message: 'Authentication token has expired.  The user must authenticate again.' });
    return {
      success: true,
      code: null,
      message: null,
      data: { sessionToken: s.token, validityInSecondsST: 3600, masterToken: s.masterToken, validityInSecondsMT: 14400, sessionId: s.id },
    };
  }

  private async query(s: Session, body: unknown): Promise<unknown> {
    const b = (body ?? {}) as { sqlText?: unknown; bindings?: Record<string, Binding>; describeOnly?: boolean };
    const queryId = randomUUID();
    if (typeof b.sqlText !== 'string') return errorBody(new SnowflakeError('000900', '42000', 'SQL compilation error:\nEmpty SQL statement.', 'COMPILATION'), queryId);
    if (b.describeOnly) return errorBody(new SnowflakeError('001003', '42000', 'SQL compilation error:\ndescribeOnly is not supported by the Furrow Snowflake emulator.', 'COMPILATION'), queryId);
    const sqlText = b.sqlText;
    s.remember(queryId, { status: 'RUNNING' });
    const started = Date.now();
    const response = await s.serial(async () => {
      try {
        const { result, statementType } = await this.executor.execute(s, sqlText, b.bindings ?? {});
        return {
          success: true,
          code: null,
          message: null,
          data: {
            parameters: [{ name: 'TIMEZONE', value: 'UTC' }],
            rowtype: result.rowtype,
            rowset: result.rowset,
            total: result.rowset.length,
            returned: result.rowset.length,
            queryId,
            databaseProvider: null,
            finalDatabaseName: s.database,
            finalSchemaName: s.schema,
            finalWarehouseName: s.warehouse,
            finalRoleName: s.role,
            numberOfBinds: Object.keys(b.bindings ?? {}).length,
            arrayBindSupported: false,
            statementTypeId: statementType,
            version: 1,
            sendResultTime: Date.now(),
            queryResultFormat: 'json',
            queryContext: { entries: [] },
          },
        };
      } catch (err) {
        const e = err instanceof SnowflakeError ? err : new SnowflakeError('000603', 'XX000', `SQL execution internal error: ${(err as Error)?.message ?? err}`);
        this.options.log?.(`snowflake emulator: query ${queryId} failed (${e.code}): ${e.message.split('\n').join(' ')} -- ${sqlText.slice(0, 200).replace(/\s+/g, ' ')}`);
        return errorBody(e, queryId);
      }
    });
    s.remember(queryId, { status: response.success ? 'SUCCESS' : 'FAILED_WITH_ERROR', response });
    this.options.log?.(`snowflake emulator: session ${s.id} ${response.success ? 'ok' : 'error'} ${Date.now() - started}ms ${sqlText.slice(0, 120).replace(/\s+/g, ' ')}`);
    return response;
  }
}

function errorBody(e: SnowflakeError, queryId: string) {
  return {
    success: false,
    code: e.code,
    message: e.message,
    headers: null,
    data: { internalError: false, errorCode: e.code, age: 0, sqlState: e.sqlState, queryId, line: -1, pos: -1, type: e.kind },
  };
}

function sessionToken(req: IncomingMessage): string | null {
  const h = req.headers.authorization ?? '';
  const m = /Snowflake Token="([^"]*)"/.exec(h);
  return m ? m[1]! : null;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new HttpError(413, { success: false, code: '390413', message: 'request body too large', data: null });
    chunks.push(chunk);
  }
  let buf = Buffer.concat(chunks);
  if (buf.length === 0) return null;
  const enc = String(req.headers['content-encoding'] ?? '').toLowerCase();
  try {
    if (enc === 'gzip' || (buf[0] === 0x1f && buf[1] === 0x8b)) buf = gunzipSync(buf);
    else if (enc === 'deflate') buf = inflateSync(buf);
    return JSON.parse(buf.toString('utf8'));
  } catch (err) {
    throw new HttpError(400, { success: false, code: '390400', message: `malformed request body: ${(err as Error).message}`, data: null });
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

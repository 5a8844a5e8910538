/**
 * The typed contract of our routes: a route is registered together with what it takes and answers
 * (its query parameters, its body and the name Octavia's messages give it, its status and response
 * schema), so the handler validates with the very schema the OpenAPI document publishes, and the
 * document lists exactly the routes there are (api/openapi.ts).
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { z } from 'zod';
import type { Body } from './resource';
import { noteRoute } from './request-log';
import { parseBody } from './validation';

export type Method = 'get' | 'post' | 'put' | 'delete';

export interface OperationDoc<B extends Body | undefined = Body | undefined> {
  summary: string;
  /** The query parameters it reads. */
  query?: z.ZodObject;
  body?: B;
  /** The success status (default: 200, 201 for a POST, 204 for a DELETE) and its body, if any. */
  status?: number;
  response?: z.ZodType;
}

export interface Operation extends OperationDoc {
  method: Method;
  /** The Express path, relative to where the router is mounted. */
  path: string;
  status: number;
}

/** The request body, validated by the operation's schema when the handler asks for it (its checks come first, as Octavia's). */
export type BodyOf<B> = B extends Body<infer S> ? () => z.infer<S> : () => never;
type Handler<B> = (req: Request, res: Response, body: BodyOf<B>) => Promise<void> | void;

const defaultStatus: Record<Method, number> = { get: 200, post: 201, put: 200, delete: 204 };

export class ApiRouter {
  readonly router: Router;
  readonly operations: Operation[] = [];

  constructor(options: { mergeParams?: boolean } = {}) {
    this.router = Router(options);
  }

  /** A middleware every route of the router runs first. */
  use(handler: RequestHandler): void {
    this.router.use(handler);
  }

  get<B extends Body | undefined>(path: string | string[], doc: OperationDoc<B>, handler: Handler<B>): void {
    this.route('get', path, doc, handler);
  }
  post<B extends Body | undefined>(path: string | string[], doc: OperationDoc<B>, handler: Handler<B>): void {
    this.route('post', path, doc, handler);
  }
  put<B extends Body | undefined>(path: string | string[], doc: OperationDoc<B>, handler: Handler<B>): void {
    this.route('put', path, doc, handler);
  }
  delete<B extends Body | undefined>(path: string | string[], doc: OperationDoc<B>, handler: Handler<B>): void {
    this.route('delete', path, doc, handler);
  }

  private route<B extends Body | undefined>(method: Method, path: string | string[], doc: OperationDoc<B>, handler: Handler<B>): void {
    for (const p of [path].flat()) this.operations.push({ ...doc, method, path: p, status: doc.status ?? defaultStatus[method] });
    const parse = (req: Request) => () => (doc.body ? parseBody(doc.body.schema, req.body, doc.body.argument, doc.body.types) : undefined);
    this.router[method](path, (req, res) => {
      // The route pattern (not the ids in the URL) labels the request's log line and metrics.
      noteRoute(res, 'route', typeof req.route?.path === 'string' ? req.route.path : [path].flat()[0]!);
      return handler(req, res, parse(req) as BodyOf<B>);
    });
  }
}

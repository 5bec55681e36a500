/**
 * Errors as RFC 9457 application/problem+json. Validation errors name the parameter; internal errors
 * say only that something went wrong (the details, SQL included, go to the log).
 */
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import { AccessDeniedError, InputError, NotFoundError, StoreError, UnauthenticatedError } from "../errors.js";

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: string[];
  parameter?: string;
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.code(problem.status).type("application/problem+json").send(JSON.stringify(problem));
}

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

export function problem(status: number, detail: string, extra: Partial<Problem> = {}): Problem {
  return { type: "about:blank", title: TITLES[status] ?? "Error", status, detail, ...extra };
}

export function errorHandler(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const instance = request.url;
  if (hasZodFastifySchemaValidationErrors(error)) {
    const where =
      error.validationContext === "params"
        ? "path parameter"
        : error.validationContext === "body"
          ? "body field"
          : "query parameter";
    const lines = error.validation.map((v) => {
      const name = v.instancePath.replace(/^\//, "").replaceAll("/", ".") || "(request)";
      const received = (
        request[error.validationContext === "params" ? "params" : "query"] as
          Record<string, unknown> | undefined
      )?.[name];
      const got = received === undefined ? "" : ` (got ${JSON.stringify(received)})`;
      return { name, text: `${where} ${name}: ${v.message}${got}` };
    });
    return sendProblem(
      reply,
      problem(400, lines.map((l) => l.text).join("; "), {
        instance,
        parameter: lines[0]?.name,
        errors: lines.map((l) => l.text),
      }),
    );
  }
  if (error instanceof NotFoundError) return sendProblem(reply, problem(404, error.message, { instance }));
  if (error instanceof AccessDeniedError)
    return sendProblem(reply, problem(403, error.message, { instance }));
  if (error instanceof UnauthenticatedError)
    return sendProblem(reply, problem(401, error.message, { instance }));
  if (error instanceof InputError)
    return sendProblem(reply, problem(422, error.message, { instance, errors: [...error.details] }));
  if (error instanceof StoreError) {
    request.log.error({ err: error }, "store error");
    return sendProblem(reply, problem(503, "the database is not available", { instance }));
  }
  const status = typeof error.statusCode === "number" && error.statusCode >= 400 ? error.statusCode : 500;
  if (status >= 500) {
    request.log.error({ err: error }, "request failed");
    return sendProblem(
      reply,
      problem(500, "something went wrong on the server; the error is logged", { instance }),
    );
  }
  return sendProblem(reply, problem(status, error.message, { instance }));
}

/**
 * The signal board of an area: signals (text, domain, tags, urgency) from professionals, responses
 * from colleagues of other organisations, and the actions agreed on (owner organisation, due date).
 * Need to know is core `boardAccess` on the same grants as the figures (public grants never count);
 * free text is screened for personal data (core `screenNote`) and refused when it has findings. The
 * routes write the one audit record per request; nothing here logs or audits text.
 */
import {
  boardAccess,
  gemeenteOfCode,
  noteFindingKinds,
  screenNote,
  type Actor,
  type BoardDecision,
  type BoardItem,
  type Domain,
  type NoteFindingKind,
  type ReleasePolicy,
} from "@wijkradar/core";
import { AccessDeniedError, InputError, NotFoundError } from "../errors.js";
import { getArea } from "../store/area-repository.js";
import {
  getAction,
  getSignal,
  insertAction,
  insertResponse,
  insertSignal,
  listActions,
  listSignals,
  updateAction,
  updateSignal,
  type ActionRow,
  type ActionStatus,
  type BoardPlace,
  type SignalRow,
  type SignalStatus,
  type Urgency,
} from "../store/board-repository.js";
import type { Database } from "../store/database.js";
import { listOrganisations } from "../store/identity-repository.js";
import type { CubeService } from "./cube-service.js";

/** The roles that read and write board items and interventions (ADR 0008). */
export const BOARD_ROLES = ["field-worker", "analyst", "policy-advisor", "partner", "admin"] as const;

const KIND_WORDS: Readonly<Record<NoteFindingKind, string>> = {
  bsn: "a BSN",
  phone: "a phone number",
  email: "an e-mail address",
  name: "a name after a form of address",
};

/**
 * Refuses free text with personal data: a 422 naming the field and the kinds found (never the text).
 * Board texts are read by other organisations; the UI warns before sending.
 */
export function screenText(field: string, text: string | null | undefined): void {
  if (!text) return;
  const kinds = noteFindingKinds(screenNote(text));
  if (kinds.length === 0) return;
  const message = `${field}: looks like it contains personal data (${kinds.map((k) => KIND_WORDS[k]).join(", ")}); describe the situation without identifying anyone`;
  throw new InputError(message, [message]);
}

/** Today as YYYY-MM-DD (UTC) on the app's clock. */
export const todayOf = (clock: () => number): string => new Date(clock()).toISOString().slice(0, 10);

/** Checks a calendar date YYYY-MM-DD (a real day); a 422 naming the field otherwise. */
export function checkDate(field: string, value: string, notBefore?: string): void {
  const ok =
    /^\d{4}-\d{2}-\d{2}$/.test(value) && new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) === value;
  if (!ok) throw new InputError(`${field}: expected a date YYYY-MM-DD, got ${JSON.stringify(value)}`);
  if (notBefore && value < notBefore)
    throw new InputError(`${field}: ${value} is in the past; expected today (${notBefore}) or later`);
}

/** Checks that an organisation exists; a 422 naming the field otherwise. */
export async function checkOrganisation(db: Database, field: string, id: string): Promise<void> {
  const orgs = await listOrganisations(db);
  if (!orgs.some((o) => o.id === id))
    throw new InputError(
      `${field}: organisation ${id} does not exist; known: ${orgs.map((o) => o.id).join(", ") || "none"}`,
    );
}

/** What the services need to decide need to know: the policy in force and the catalogue's domains. */
export interface FieldAccess {
  readonly policy: { current(): ReleasePolicy };
  readonly cube: CubeService;
}

/** The domain of each catalogue indicator, for grants that name indicators. */
export async function domainLookup(cube: CubeService): Promise<(id: string) => Domain | undefined> {
  const catalogue = await cube.indicators();
  return (id) => catalogue.get(id)?.domain;
}

export interface SignalInput {
  readonly text: string;
  readonly domain: Domain;
  readonly tags?: readonly string[];
  readonly urgency: Urgency;
}

export interface ActionInput {
  readonly text: string;
  readonly domain: Domain;
  readonly signalId?: number | null;
  readonly ownerOrganisation: string;
  readonly ownerName?: string | null;
  readonly dueDate: string;
  readonly status?: ActionStatus;
}

const publicAuthor = (a: { name: string | null; organisation: string | null }) => ({
  name: a.name,
  organisation: a.organisation,
});

/** A signal as it leaves the server: no user ids, the author's display name and organisation. */
export function shapeSignal(s: SignalRow) {
  return {
    id: s.id,
    areaCode: s.areaCode,
    division: s.division,
    level: s.level,
    domain: s.domain,
    tags: s.tags,
    urgency: s.urgency,
    text: s.text,
    status: s.status,
    author: publicAuthor(s.author),
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
    responses: s.responses.map((r) => ({
      id: r.id,
      text: r.text,
      author: publicAuthor(r.author),
      createdAt: r.createdAt,
    })),
  };
}

export function shapeAction(a: ActionRow) {
  return {
    id: a.id,
    areaCode: a.areaCode,
    division: a.division,
    level: a.level,
    domain: a.domain,
    signalId: a.signalId,
    text: a.text,
    ownerOrganisation: a.ownerOrganisation,
    ownerName: a.ownerName,
    dueDate: a.dueDate,
    status: a.status,
    createdBy: publicAuthor(a.createdBy),
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
    doneAt: a.doneAt,
  };
}

export class BoardService {
  constructor(
    private readonly db: Database,
    private readonly access: FieldAccess,
    private readonly clock: () => number = Date.now,
  ) {}

  private async decide(actor: Actor, item: BoardItem): Promise<BoardDecision> {
    return boardAccess(this.access.policy.current(), actor, item, await domainLookup(this.access.cube));
  }

  private async require(actor: Actor, item: BoardItem): Promise<void> {
    const d = await this.decide(actor, item);
    if (!d.allowed) throw new AccessDeniedError(d.reason);
  }

  /** Only the items the actor may see (a list counts nothing about the others). */
  private async visible<T extends BoardPlace & { domain: Domain }>(
    actor: Actor,
    items: readonly T[],
  ): Promise<T[]> {
    const policy = this.access.policy.current();
    const domainOf = await domainLookup(this.access.cube);
    return items.filter(
      (i) =>
        boardAccess(policy, actor, { areaCode: i.areaCode, level: i.level, domain: i.domain }, domainOf)
          .allowed,
    );
  }

  /** The board's area (latest division that has the code): 404 when unknown, 403 when out of reach. */
  async board(actor: Actor, code: string): Promise<BoardPlace & { name: string | null }> {
    const area = await getArea(this.db, code);
    if (!area)
      throw new NotFoundError(`area ${code} is not known; GET /api/areas?q=… finds areas by name or code`);
    await this.require(actor, { areaCode: area.code, level: area.level });
    return {
      areaCode: area.code,
      division: area.division,
      level: area.level,
      gemeenteCode: gemeenteOfCode(area.code) ?? null,
      name: area.name,
    };
  }

  async listSignals(actor: Actor, code: string, q: { descendants?: boolean; status?: SignalStatus }) {
    const board = await this.board(actor, code);
    const rows = await this.visible(actor, await listSignals(this.db, { areaCode: board.areaCode, ...q }));
    return {
      area: { code: board.areaCode, name: board.name, level: board.level, division: board.division },
      signals: rows.map(shapeSignal),
    };
  }

  async createSignal(actor: Actor, code: string, input: SignalInput) {
    const board = await this.board(actor, code);
    await this.require(actor, { areaCode: board.areaCode, level: board.level, domain: input.domain });
    screenText("text", input.text);
    const tags = [...new Set((input.tags ?? []).map((t) => t.trim()).filter(Boolean))];
    tags.forEach((t, i) => screenText(`tags[${i}]`, t));
    const id = await insertSignal(this.db, {
      ...board,
      domain: input.domain,
      tags,
      urgency: input.urgency,
      text: input.text,
      authorId: actor.id,
      organisationId: actor.organisation ?? null,
    });
    return shapeSignal((await getSignal(this.db, id))!);
  }

  /** A signal the actor may see: 404 when it does not exist, 403 with the rule when out of reach. */
  async signal(actor: Actor, id: number): Promise<SignalRow> {
    const s = await getSignal(this.db, id);
    if (!s) throw new NotFoundError(`signal ${id} does not exist`);
    await this.require(actor, { areaCode: s.areaCode, level: s.level, domain: s.domain });
    return s;
  }

  async respond(actor: Actor, id: number, text: string) {
    await this.signal(actor, id);
    screenText("text", text);
    await insertResponse(this.db, {
      signalId: id,
      text,
      authorId: actor.id,
      organisationId: actor.organisation ?? null,
    });
    return shapeSignal((await getSignal(this.db, id))!);
  }

  async updateSignal(
    actor: Actor,
    id: number,
    change: { status?: SignalStatus; urgency?: Urgency; tags?: readonly string[] },
  ) {
    await this.signal(actor, id);
    change.tags?.forEach((t, i) => screenText(`tags[${i}]`, t));
    await updateSignal(this.db, id, change);
    return shapeSignal((await getSignal(this.db, id))!);
  }

  async listActions(actor: Actor, code: string, q: { descendants?: boolean; status?: ActionStatus }) {
    const board = await this.board(actor, code);
    const rows = await this.visible(actor, await listActions(this.db, { areaCode: board.areaCode, ...q }));
    return {
      area: { code: board.areaCode, name: board.name, level: board.level, division: board.division },
      actions: rows.map(shapeAction),
    };
  }

  async createAction(actor: Actor, code: string, input: ActionInput) {
    const board = await this.board(actor, code);
    await this.require(actor, { areaCode: board.areaCode, level: board.level, domain: input.domain });
    screenText("text", input.text);
    screenText("ownerName", input.ownerName);
    checkDate("dueDate", input.dueDate, todayOf(this.clock));
    await checkOrganisation(this.db, "ownerOrganisation", input.ownerOrganisation);
    if (input.signalId != null) {
      const s = await getSignal(this.db, input.signalId);
      const visible =
        s && (await this.decide(actor, { areaCode: s.areaCode, level: s.level, domain: s.domain })).allowed;
      if (!s || !visible)
        throw new InputError(`signalId: signal ${input.signalId} does not exist on a board you can see`);
      if (s.areaCode !== board.areaCode)
        throw new InputError(
          `signalId: signal ${input.signalId} is on the board of ${s.areaCode}, not ${board.areaCode}`,
        );
    }
    const id = await insertAction(this.db, {
      ...board,
      domain: input.domain,
      signalId: input.signalId ?? null,
      text: input.text,
      ownerOrganisation: input.ownerOrganisation,
      ownerName: input.ownerName ?? null,
      dueDate: input.dueDate,
      status: input.status ?? "open",
      createdBy: actor.id,
    });
    return shapeAction((await getAction(this.db, id))!);
  }

  async updateAction(
    actor: Actor,
    id: number,
    change: {
      text?: string;
      ownerOrganisation?: string;
      ownerName?: string | null;
      dueDate?: string;
      status?: ActionStatus;
    },
  ) {
    const a = await getAction(this.db, id);
    if (!a) throw new NotFoundError(`action ${id} does not exist`);
    await this.require(actor, { areaCode: a.areaCode, level: a.level, domain: a.domain });
    screenText("text", change.text);
    screenText("ownerName", change.ownerName);
    // A changed due date may not lie in the past; an unchanged one may (the action is overdue).
    if (change.dueDate !== undefined && change.dueDate !== a.dueDate)
      checkDate("dueDate", change.dueDate, todayOf(this.clock));
    if (change.ownerOrganisation !== undefined)
      await checkOrganisation(this.db, "ownerOrganisation", change.ownerOrganisation);
    await updateAction(this.db, id, change);
    return shapeAction((await getAction(this.db, id))!);
  }
}

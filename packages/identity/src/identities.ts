import { createHmac } from 'node:crypto';
import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import { z } from 'zod';
import { defineIdentityScripts } from './scripts.js';

/** An edge of the identity map: `from` was merged into `into`. */
export interface Edge {
  readonly from: string;
  readonly into: string;
}

/** What deciding a link came to. */
export type Reservation =
  /** One of the two ids was erased: the link is refused. */
  | { readonly erased: true }
  | {
      readonly erased: false;
      /** The id both are known by from now on. */
      readonly survivor: string;
      /** False when they were one person already (the same link again, or its reverse). */
      readonly merged: boolean;
      /** Edges decided but not yet on the log: publish them, then confirm them (`queueConfirm`). */
      readonly unpublished: readonly Edge[];
    };

/** A person: the surviving id and every id merged into it (itself not included). */
export interface Person {
  readonly id: string;
  readonly merged: readonly string[];
}

export interface IdentitiesOptions {
  readonly keyPrefix: string;
  /** The key of the suppression list's hashes (RAPPORT_ERASURE_KEY). */
  readonly erasureKey: string;
}

/** The options as Rapport's configuration gives them (its `redis` and `identity` parts). */
export const identitiesOptions = (config: {
  readonly redis: { readonly keyPrefix: string };
  readonly identity: { readonly erasureKey: string };
}): IdentitiesOptions => ({
  keyPrefix: config.redis.keyPrefix,
  erasureKey: config.identity.erasureKey,
});

const ReserveReplySchema = z.union([
  z.tuple([z.literal(0)]),
  z.tuple([z.literal(1), z.string(), z.union([z.literal(0), z.literal(1)])]).rest(z.string()),
]);
const MembersSchema = z.array(z.string());
/** cjson writes an empty Lua table as `{}`. */
const parseMembers = (json: string): string[] =>
  json === '{}' ? [] : MembersSchema.parse(JSON.parse(json));

const ERASE_ATTEMPTS = 5;
/** Keyed hashes remembered: the same customers come again and again, an HMAC costs microseconds. */
const HASHES_KEPT = 50_000;
const RouteReplySchema = z.array(z.string());

/**
 * The identity map and the suppression list, in the `{identity}` hash slot of Redis. The gateway
 * decides links here (reserve, publish the link on the log, confirm) and routes each event to its
 * survivor; the bridge routes the log's older events the same way; everything that writes a
 * person's data checks the suppression list. Erased ids are kept only as keyed hashes
 * (HMAC-SHA256 under the erasure key), never as themselves.
 */
export class Identities {
  readonly #keys: { links: string; pending: string; members: string; suppressed: string };
  readonly #hashes = new Map<string, string>();

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly options: IdentitiesOptions,
  ) {
    defineIdentityScripts(redis);
    const base = `${options.keyPrefix}{identity}`;
    this.#keys = {
      links: `${base}:links`,
      pending: `${base}:pending`,
      members: `${base}:members`,
      suppressed: `${base}:suppressed`,
    };
  }

  /** The keyed hash an erased id is remembered by. */
  hashOf(id: string): string {
    let hash = this.#hashes.get(id);
    if (hash === undefined) {
      hash = createHmac('sha256', this.options.erasureKey).update(id).digest('base64url');
      // Oldest first out: a Map iterates in insertion order.
      if (this.#hashes.size >= HASHES_KEPT)
        this.#hashes.delete(this.#hashes.keys().next().value ?? '');
      this.#hashes.set(id, hash);
    }
    return hash;
  }

  /**
   * Decides that `from` and `into` are one person, `into`'s survivor surviving. Atomic: of two
   * links racing in opposite directions, the first decides and the second finds one person.
   */
  async reserve(from: string, into: string): Promise<Reservation> {
    const { links, pending, members, suppressed } = this.#keys;
    const reply = ReserveReplySchema.parse(
      await this.redis.rapportIdentityReserve(
        links,
        pending,
        members,
        suppressed,
        from,
        into,
        this.hashOf(from),
        this.hashOf(into),
      ),
    );
    if (reply[0] === 0) return { erased: true };
    const [, survivor, merged, ...path] = reply;
    const unpublished = new Map<string, string>();
    for (let at = 0; at + 1 < path.length; at += 2) {
      unpublished.set(path[at] ?? '', path[at + 1] ?? '');
    }
    return {
      erased: false,
      survivor,
      merged: merged === 1,
      unpublished: [...unpublished].map(([edgeFrom, edgeInto]) => ({
        from: edgeFrom,
        into: edgeInto,
      })),
    };
  }

  /**
   * The edges are on the log: events of their `from` ids are routed to the survivor from now. A
   * command of the caller's pipeline (none for no edges), which the gateway sends with the claims
   * of the events published beside the edges.
   */
  queueConfirm(pipeline: ChainableCommander, edges: readonly Edge[]): void {
    if (edges.length === 0) return;
    pipeline.rapportIdentityConfirm(
      this.#keys.links,
      this.#keys.pending,
      ...edges.flatMap(({ from, into }) => [from, into]),
    );
  }

  /**
   * Where each id's events belong: its survivor along the links on the log (itself when it was
   * never merged), or `null` when the person was erased. One round trip for any number of ids.
   */
  async route(ids: readonly string[]): Promise<Map<string, string | null>> {
    const pipeline = this.redis.pipeline();
    const routes = this.queueRoute(pipeline, ids);
    const [[error, reply] = [null, []]] = (await pipeline.exec()) ?? [];
    if (error) throw error;
    return routes(reply);
  }

  /**
   * `route` as one command of a caller's pipeline, so that it costs no round trip of its own:
   * returns the reading of that command's reply.
   */
  queueRoute(
    pipeline: ChainableCommander,
    ids: readonly string[],
  ): (reply: unknown) => Map<string, string | null> {
    const unique = [...new Set(ids)];
    if (unique.length > 0) {
      pipeline.rapportIdentityRoute(
        this.#keys.links,
        this.#keys.suppressed,
        unique.length,
        ...unique,
        ...unique.map((id) => this.hashOf(id)),
      );
    } else pipeline.echo('');
    return (reply) => {
      const roots = unique.length === 0 ? [] : RouteReplySchema.parse(reply);
      return new Map(
        unique.map((id, index) => {
          const root = roots[index];
          return [id, root === '' || root === undefined ? null : root] as const;
        }),
      );
    };
  }

  /** Which of the ids were erased; one round trip. */
  async erased(ids: readonly string[]): Promise<Set<string>> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return new Set();
    const flags = await this.redis.smismember(
      this.#keys.suppressed,
      ...unique.map((id) => this.hashOf(id)),
    );
    return new Set(unique.filter((_, index) => flags[index] === 1));
  }

  /** The person an id belongs to: decided links included, so nothing merged escapes an erasure. */
  async person(id: string): Promise<Person> {
    const [root, members] = await this.redis.rapportIdentityPerson(
      this.#keys.links,
      this.#keys.pending,
      this.#keys.members,
      id,
    );
    return { id: root, merged: parseMembers(members) };
  }

  /**
   * Suppresses the person `id` belongs to, every id merged into them included: links naming them
   * are refused and their events are refused or skipped from now on. Returns the person. Their
   * edges stay (so that an erasure cut short finds them again) until `forget`. Retries when the
   * person changed meanwhile.
   */
  async suppress(id: string): Promise<Person> {
    const { links, pending, members, suppressed } = this.#keys;
    for (let attempt = 1; ; attempt += 1) {
      const [root, membersJson] = await this.redis.rapportIdentityPerson(
        links,
        pending,
        members,
        id,
      );
      const ids = [root, ...parseMembers(membersJson)];
      const done = await this.redis.rapportIdentitySuppress(
        links,
        pending,
        members,
        suppressed,
        root,
        membersJson,
        ids.length,
        ...ids,
        ...ids.map((each) => this.hashOf(each)),
      );
      if (done === 1) return { id: root, merged: ids.slice(1) };
      if (attempt >= ERASE_ATTEMPTS) {
        throw new Error(`the identities of ${root} kept changing during ${attempt} attempts`);
      }
    }
  }

  /** The last step of an erasure: the person's edges and members leave the map. */
  async forget(person: Person): Promise<void> {
    const { links, pending, members } = this.#keys;
    await this.redis.rapportIdentityForget(
      links,
      pending,
      members,
      person.id,
      person.id,
      ...person.merged,
    );
  }

  /** `suppress`, then `forget`: for callers with nothing to remove in between. */
  async erase(id: string): Promise<Person> {
    const person = await this.suppress(id);
    await this.forget(person);
    return person;
  }
}

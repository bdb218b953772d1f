"use strict";
/**
 * Transaction isolation for the embedded Firestore server, wrapped around the package's gRPC service (the
 * package itself is unchanged). The package hands every transaction the same dummy id and commits whatever it
 * is sent, so concurrent read-modify-write transactions lose updates. This wrapper gives it the semantics the
 * Admin SDK relies on, modelled optimistically:
 *
 * - every transaction (BeginTransaction, or a read with `new_transaction`) gets its own random id;
 * - a transactional read records each document's version (a counter bumped by every committed write;
 *   "missing" is version 0 or the version of its delete), and a transactional query records its results and
 *   the query itself, which is run again at commit: a new, changed or vanished match fails the commit too;
 * - Commit checks those versions first: any change → ABORTED and nothing written (the Admin SDK retries);
 * - a commit is all-or-nothing: every write's precondition (`create`: must not exist, `update`: must exist,
 *   `lastUpdateTime`: must exist with that update time) is checked, in order, before any write is applied;
 * - an id that was committed, rolled back, aborted or never issued is refused with ABORTED; a read-only
 *   transaction that writes is refused with INVALID_ARGUMENT.
 * Commits are serialised by construction: the check and the package's (synchronous) apply run in one tick.
 * Not modelled: lock waits (the real Firestore makes a conflicting writer wait, then may abort it; here it
 * is aborted at commit), transaction expiry (60 s idle / 270 s total).
 */
const { randomBytes } = require("node:crypto");

const INVALID_ARGUMENT = 3;
const ABORTED = 10;
const ALREADY_EXISTS = 6;
const NOT_FOUND = 5;
const FAILED_PRECONDITION = 9;
const UNAVAILABLE = 14;
// Real Firestore's wording, so logs read the same as in production.
const CONTENTION =
  "Aborted due to cross-transaction contention. This occurs when multiple transactions attempt to access the same data, " +
  "requiring Firestore to abort at least one in order to enforce serializability.";
const EXPIRED = "The referenced transaction has expired or is no longer valid.";

/**
 * @param impl     the package's service implementation (methods called with the real gRPC call)
 * @param state    the package's FirestoreState (read for existence, and to re-run transactional queries)
 * @param counts   the stats object of the server process; gains aborts, refused, transactions, faults
 * @param options  { isolation: boolean, faults: { unavailable: number } } (read on every call: switchable)
 */
function isolate(impl, state, counts, options) {
  const versions = new Map(); // document name → version of its last committed write
  let clock = 0;
  const txs = new Map(); // hex id → { id, state, readOnly, reads: Map<name, version>, queries: [] }
  const versionOf = (name) => versions.get(name) ?? 0;
  const hex = (bytes) => Buffer.from(bytes).toString("hex");

  function begin(txOptions) {
    const id = Uint8Array.from(randomBytes(16));
    const tx = { id, state: "active", readOnly: !!txOptions?.has_read_only, reads: new Map(), queries: [] };
    txs.set(hex(id), tx);
    counts.transactions++;
    return tx;
  }
  /** The active transaction a request names, or undefined after answering the refusal. */
  function active(bytes, refuse) {
    const tx = txs.get(hex(bytes));
    if (tx?.state === "active") return tx;
    counts.refused++;
    refuse({ code: ABORTED, details: EXPIRED });
    return undefined;
  }
  /** Injected outage for chaos runs: true when this call was answered with UNAVAILABLE. */
  function fault(refuse) {
    const p = options.faults?.unavailable ?? 0;
    if (!(p > 0) || Math.random() >= p) return false;
    counts.faults++;
    refuse({ code: UNAVAILABLE, details: "The service is currently unavailable (injected fault)." });
    return true;
  }
  const streamRefuse = (call) => (err) => call.emit("error", err);

  /** The transaction a read belongs to: null for a plain read, undefined when refused. */
  function readTransaction(request, refuse) {
    if (!options.isolation) return null;
    if (request.consistency_selector === "new_transaction") return begin(request.new_transaction);
    if (request.consistency_selector === "transaction") return active(request.transaction, refuse);
    return null;
  }
  /** Stamp our id on the responses that carry one (the package sends a dummy or random id). */
  function stampWrites(call, tx, onMessage) {
    const write = call.write.bind(call);
    call.write = (msg, ...rest) => {
      if (tx && msg?.transaction?.length > 0) msg.transaction = tx.id;
      onMessage?.(msg);
      return write(msg, ...rest);
    };
  }

  function recordQuery(tx, parent, query) {
    const entry = { parent, query, names: [] };
    tx.queries.push(entry);
    return (msg) => {
      const name = msg?.has_document ? msg.document.name : null;
      if (name) {
        entry.names.push(name);
        if (!tx.reads.has(name)) tx.reads.set(name, versionOf(name));
      }
    };
  }

  /** Spend an id: it stays known (to be refused), its read set goes. */
  function finish(tx, how) {
    tx.state = how;
    tx.reads = new Map();
    tx.queries = [];
  }

  /** Why this transaction may not commit, or null. */
  function conflict(tx) {
    for (const [name, v] of tx.reads) if (versionOf(name) !== v) return `${name} changed`;
    for (const q of tx.queries) {
      const now = state.v1Query(q.parent, q.query).map((d) => d.getPath());
      if (now.length !== q.names.length || now.some((n, i) => n !== q.names[i])) return `query on ${q.parent} changed`;
    }
    return null;
  }

  /** A document's path inside its database, as Firestore's error messages name it. */
  const shortName = (name) => name.replace(/^.*?\/documents\//, "");

  /** Check every write's precondition against the state the earlier writes of this commit would leave. */
  function preconditionError(writes) {
    const exists = new Map();
    const existsNow = (name) => (exists.has(name) ? exists.get(name) : state.getDocument(name).metadata.hasExist);
    for (const w of writes) {
      const name = w.has_delete ? w.delete : w.has_update ? w.update.name : null;
      if (!name) continue; // the package answers what it cannot apply before writing anything
      if (w.has_current_document && w.current_document.has_update_time) {
        // `lastUpdateTime`: the document must exist with exactly that update time (the package ignored it)
        const t = w.current_document.update_time;
        const want = Number(t.seconds) * 1000 + Math.floor(Number(t.nanos) / 1e6);
        const doc = state.getDocument(name);
        if (exists.has(name) || !doc.metadata.hasExist || doc.metadata.updatedAt.getTime() !== want)
          return {
            code: FAILED_PRECONDITION,
            details: `the stored version of ${shortName(name)} does not match the required base version`,
          };
      }
      const pre = w.has_current_document && w.current_document.has_exists ? w.current_document.exists : undefined;
      if (pre === false && existsNow(name)) return { code: ALREADY_EXISTS, details: `entity already exists: ${shortName(name)}` };
      if (pre === true && !existsNow(name)) return { code: NOT_FOUND, details: `no entity to update: ${shortName(name)}` };
      exists.set(name, !w.has_delete);
    }
    return null;
  }

  const wrapped = {
    BeginTransaction(call, callback) {
      if (fault((e) => callback(e, null))) return undefined;
      if (!options.isolation) return impl.BeginTransaction(call, callback);
      const tx = begin(call.request.options);
      return impl.BeginTransaction(call, (err, res) => {
        if (res) res.transaction = tx.id;
        callback(err, res);
      });
    },

    BatchGetDocuments(call) {
      const refuse = streamRefuse(call);
      if (fault(refuse)) return undefined;
      const tx = readTransaction(call.request, refuse);
      if (tx === undefined) return undefined;
      // The package reads synchronously, so these versions are the ones it serves.
      if (tx) for (const name of call.request.documents) if (!tx.reads.has(name)) tx.reads.set(name, versionOf(name));
      stampWrites(call, tx);
      return impl.BatchGetDocuments(call);
    },

    RunQuery(call) {
      const refuse = streamRefuse(call);
      if (fault(refuse)) return undefined;
      const tx = readTransaction(call.request, refuse);
      if (tx === undefined) return undefined;
      stampWrites(call, tx, tx && recordQuery(tx, call.request.parent, call.request.structured_query));
      return impl.RunQuery(call);
    },

    RunAggregationQuery(call) {
      const refuse = streamRefuse(call);
      if (fault(refuse)) return undefined;
      const tx = readTransaction(call.request, refuse);
      if (tx === undefined) return undefined;
      if (tx) {
        const { parent, structured_aggregation_query: agg } = call.request;
        const record = recordQuery(tx, parent, agg.structured_query);
        for (const doc of state.v1Query(parent, agg.structured_query)) record({ has_document: true, document: { name: doc.getPath() } });
      }
      stampWrites(call, tx);
      return impl.RunAggregationQuery(call);
    },

    Commit(call, callback) {
      if (fault((e) => callback(e, null))) return undefined;
      if (!options.isolation) return impl.Commit(call, callback);
      const { transaction, writes } = call.request;
      let tx = null;
      if (transaction?.length > 0) {
        tx = active(transaction, (e) => callback(e, null));
        if (!tx) return undefined;
        if (tx.readOnly && writes.length > 0) {
          finish(tx, "rolled back");
          return callback({ code: INVALID_ARGUMENT, details: "Cannot modify entities in a read-only transaction." }, null);
        }
        const why = conflict(tx);
        finish(tx, why ? "aborted" : "committed"); // either way the id is spent
        if (why) {
          counts.aborts++;
          return callback({ code: ABORTED, details: CONTENTION }, null);
        }
      }
      const bad = preconditionError(writes);
      if (bad) return callback(bad, null);
      let answered = false;
      impl.Commit(call, (err, res) => {
        answered = true;
        if (!err) for (const w of writes) versions.set(w.has_delete ? w.delete : w.update.name, ++clock);
        callback(err, res);
      });
      // Atomicity rests on this: check and apply in one tick, so no other commit runs in between.
      if (!answered) throw new Error("embedded Firestore: the package's Commit became asynchronous; isolation cannot hold");
      return undefined;
    },

    Rollback(call, callback) {
      if (fault((e) => callback(e, null))) return undefined;
      if (!options.isolation) return impl.Rollback(call, callback);
      // The Admin SDK rolls back after an aborted commit: harmless, so answered OK rather than refused.
      if (txs.get(hex(call.request.transaction))?.state === "aborted") return impl.Rollback(call, callback);
      const tx = active(call.request.transaction, (e) => callback(e, null));
      if (!tx) return undefined;
      finish(tx, "rolled back");
      return impl.Rollback(call, callback);
    },
  };
  return wrapped;
}

module.exports = { isolate };

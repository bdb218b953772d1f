"use strict";
/**
 * Speed for the embedded Firestore server (`@firestore-emulator/server`), patched onto the package's exported
 * state classes at start (the package itself is unchanged). Two costs made large collections unusable:
 *
 * - every document and collection lookup ran through immer's `produce` over the parent's whole map, and
 *   adding one copied and froze that map: a 500-document commit into 6,000 documents took 5 s, and reading a
 *   missing id (which leaves a placeholder) grew slower with every read. Here the maps are plain objects,
 *   looked up and extended in place: O(1) per document. Nothing else holds on to them, so no snapshot is lost.
 *
 * - a listener on a collection was sent the whole collection again (RESET and every document) after every
 *   write. A relay listening to `preorders` during a chaos run received O(documents × writes) messages, faster
 *   than it read them, and the server's stream buffers grew past its 4 GB heap. Here a listener on a whole
 *   collection (no filter, order or limit: what the trigger relay uses) gets only the documents that changed,
 *   coalesced per tick, then one global snapshot marker, as the real Listen protocol does. Other listeners keep
 *   the package's behaviour.
 * - writes in the same millisecond had the same update time, and the Admin SDK's listener takes a document
 *   with an unchanged update time as unchanged: a second write within a millisecond could be missed by the
 *   relay. Commits here get strictly increasing times (all writes of one commit share one).
 *
 * Queries are left as they are: they scan the collection (about 50 ms for 20,000 documents), and sorting the
 * matches instead of the whole collection saved only a fifth of that.
 *
 * Semantics are otherwise the package's: same documents, same events, same query results.
 */

function speedUp(pkg) {
  const { FirestoreState, FirestoreStateProject, FirestoreStateDatabase, FirestoreStateCollection, FirestoreStateDocument } = pkg;
  if (FirestoreState.prototype.__rolittFast) return;
  FirestoreState.prototype.__rolittFast = true;

  /** `own(this, "documents")`: the map, thawed once if immer froze it before the patch. */
  const own = (obj, key) => {
    if (Object.isFrozen(obj[key])) obj[key] = { ...obj[key] };
    return obj[key];
  };
  const has = (map, k) => Object.prototype.hasOwnProperty.call(map, k);

  FirestoreState.prototype.getProject = function (name) {
    const map = own(this, "projects");
    if (!has(map, name)) {
      map[name] = new FirestoreStateProject(this.emitter, name, {});
      this.emitter.emit("add-project", { project: map[name] });
    }
    return map[name];
  };
  FirestoreStateProject.prototype.getDatabase = function (name) {
    const map = own(this, "databases");
    if (!has(map, name)) {
      map[name] = new FirestoreStateDatabase(this.emitter, this, name, {});
      this.emitter.emit("add-database", { database: map[name] });
    }
    return map[name];
  };
  FirestoreStateDatabase.prototype.getCollection = function (name) {
    const map = own(this, "collections");
    if (!has(map, name)) {
      map[name] = new FirestoreStateCollection(this.emitter, this, this, name, {});
      this.emitter.emit("add-collection", { collection: map[name] });
    }
    return map[name];
  };
  FirestoreStateDocument.prototype.getCollection = function (name) {
    const map = own(this, "collections");
    if (!has(map, name)) {
      map[name] = new FirestoreStateCollection(this.emitter, this.database, this, name, {});
      this.emitter.emit("add-collection", { collection: map[name] });
    }
    return map[name];
  };
  FirestoreStateCollection.prototype.getDocument = function (name) {
    const map = own(this, "documents");
    if (!has(map, name)) map[name] = new FirestoreStateDocument(this.emitter, this.database, this, name, {}, {});
    return map[name];
  };

  FirestoreState.prototype.v1Listen = incrementalListen(pkg, FirestoreState.prototype.v1Listen);

  // Strictly increasing commit times: one commit's writes share the Date object the package made for it.
  const write = FirestoreState.prototype.writeV1Document;
  let lastDate = null;
  let lastMapped = null;
  let lastMs = 0;
  FirestoreState.prototype.writeV1Document = function (date, w) {
    if (date !== lastDate) {
      lastDate = date;
      lastMs = Math.max(date.getTime(), lastMs + 1);
      lastMapped = new Date(lastMs);
    }
    return write.call(this, lastMapped, w);
  };
}

/** Incremental Listen for a whole-collection target (see the header); anything else → the package's. */
function incrementalListen(pkg, original) {
  const path = require("node:path");
  const proto = require(
    require.resolve("@firestore-emulator/proto/dist/google/firestore/v1/firestore", {
      paths: [path.dirname(require.resolve("@firestore-emulator/server"))],
    }),
  );
  const { ListenResponse } = proto;
  const now = () => {
    const ms = Date.now();
    return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
  };
  return function v1Listen(listen, callback, onEnd) {
    const target = listen.has_add_target ? listen.add_target : null;
    const q = target?.has_query ? target.query.structured_query : null;
    const simple =
      q && q.from.length === 1 && !q.from[0].all_descendants && !q.has_where && (q.order_by ?? []).length === 0 && !q.has_limit;
    if (!simple) return original.call(this, listen, callback, onEnd);
    const id = target.target_id;
    const collectionPath = `${target.query.parent}/${q.from[0].collection_id}`;
    const send = (obj) => callback(ListenResponse.fromObject(obj));
    let ended = false;
    this.emitter.setMaxListeners(0); // one set per open listener: several relays and benches at once are normal
    send({ target_change: { target_change_type: 1 /* ADD */, target_ids: [id] } });
    for (const doc of this.v1Query(target.query.parent, q))
      send({ document_change: { document: doc.toV1DocumentObject(), target_ids: [id] } });
    send({ target_change: { read_time: now(), target_change_type: 3 /* CURRENT */, target_ids: [id] } });
    send({ target_change: { read_time: now(), target_change_type: 0 /* NO_CHANGE */, target_ids: [] } });

    const pending = new Map(); // path → document, flushed once per tick
    let scheduled = false;
    const flush = () => {
      scheduled = false;
      if (ended || pending.size === 0) return;
      for (const [name, doc] of pending) {
        if (doc.metadata.hasExist) send({ document_change: { document: doc.toV1DocumentObject(), target_ids: [id] } });
        else send({ document_delete: { document: name, removed_target_ids: [id], read_time: now() } });
      }
      pending.clear();
      send({ target_change: { read_time: now(), target_change_type: 0 /* NO_CHANGE */, target_ids: [] } });
    };
    const onChange = ({ document }) => {
      if (ended || document.parent.getPath() !== collectionPath) return;
      pending.set(document.getPath(), document);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    };
    for (const ev of ["create-document", "update-document", "delete-document"]) {
      this.emitter.on(ev, onChange);
      onEnd(() => {
        ended = true;
        this.emitter.off(ev, onChange);
      });
    }
  };
}

module.exports = { speedUp };

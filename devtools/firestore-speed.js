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
 * - a query scanned the whole collection, converting its filter's value once per document: the Klaviyo
 *   trigger's "this shopper's preorders" (`email ==`) cost ~25 ms at 10,000 preorders, four times per
 *   preorder. A query with an equality filter on a top-level string field now takes its candidates from an
 *   index (built on first use, kept by the package's own document events) and the package's query runs over
 *   those alone, in the collection's order: same filters, same sort, same limit, same results.
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

  /** The child `name` of `obj[key]`, made and announced (`[event, payloadKey]`) when missing. */
  const child = (obj, key, name, make, [event, as]) => {
    const map = own(obj, key);
    if (!has(map, name)) {
      map[name] = make();
      obj.emitter.emit(event, { [as]: map[name] });
    }
    return map[name];
  };
  FirestoreState.prototype.getProject = function (name) {
    return child(this, "projects", name, () => new FirestoreStateProject(this.emitter, name, {}), ["add-project", "project"]);
  };
  FirestoreStateProject.prototype.getDatabase = function (name) {
    return child(this, "databases", name, () => new FirestoreStateDatabase(this.emitter, this, name, {}), ["add-database", "database"]);
  };
  FirestoreStateDatabase.prototype.getCollection = function (name) {
    const make = () => new FirestoreStateCollection(this.emitter, this, this, name, {});
    return child(this, "collections", name, make, ["add-collection", "collection"]);
  };
  FirestoreStateDocument.prototype.getCollection = function (name) {
    const make = () => new FirestoreStateCollection(this.emitter, this.database, this, name, {});
    return child(this, "collections", name, make, ["add-collection", "collection"]);
  };
  FirestoreStateCollection.prototype.getDocument = function (name) {
    const map = own(this, "documents");
    if (!has(map, name)) {
      const doc = new FirestoreStateDocument(this.emitter, this.database, this, name, {}, {});
      map[name] = doc;
      // Object.values() of a large object costs milliseconds (it sorts a hash table's keys); a Map in the
      // same order costs microseconds. JavaScript lists integer-like keys first: then the object decides.
      if (!this.__order) this.__order = new Map();
      this.__order.set(name, doc);
      doc.__seq = this.__order.size;
      if (/^(0|[1-9]\d{0,9})$/.test(name)) this.__integerKeys = true;
    }
    return map[name];
  };
  FirestoreStateCollection.prototype.getAllDocuments = function () {
    return this.__order && !this.__integerKeys ? [...this.__order.values()] : Object.values(this.documents);
  };

  FirestoreState.prototype.v1Listen = incrementalListen(pkg, FirestoreState.prototype.v1Listen);

  // Equality-filtered queries over candidates from an index; the package's own query does the rest.
  const query = FirestoreState.prototype.v1Query;
  const indexes = new WeakMap(); // state → its candidates()
  FirestoreState.prototype.v1Query = function (parent, q) {
    const filter = q.from?.length === 1 && !q.from[0].all_descendants ? indexableFilter(q) : null;
    if (!filter) return query.call(this, parent, q);
    if (!indexes.has(this)) indexes.set(this, equalityIndexes(this));
    const name = `${parent}/${q.from[0].collection_id}`;
    const collection = this.getCollection(name);
    const set = indexes.get(this)(collection, filter.path, filter.value);
    // in the collection's own order, as the package would have met them
    const docs =
      collection.__integerKeys || !collection.__order
        ? collection.getAllDocuments().filter((d) => set.has(d))
        : [...set].sort((a, b) => a.__seq - b.__seq);
    const narrowed = Object.create(this);
    narrowed.getCollection = (n) => (n === name ? { getAllDocuments: () => docs } : this.getCollection(n));
    return query.call(narrowed, parent, q);
  };

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

const EQUAL = 5;
const AND = 1;

/** The first `field == "string"` filter of a query on a top-level field, or null. */
function indexableFilter(query) {
  if (!query.has_where) return null;
  const w = query.where;
  const filters = w.has_field_filter ? [w] : w.has_composite_filter && w.composite_filter.op === AND ? w.composite_filter.filters : [];
  for (const f of filters) {
    if (!f.has_field_filter) continue;
    const ff = f.field_filter;
    const path = ff.field.field_path;
    if (ff.op === EQUAL && ff.value.has_string_value && path && !/[.`]/.test(path)) return { path, value: ff.value.string_value };
  }
  return null;
}

/** Equality indexes over string fields: collection path → field → value → documents. */
function equalityIndexes(state) {
  const byCollection = new Map();
  const keyOf = (doc, path) => {
    if (!doc.metadata.hasExist) return undefined;
    const f = doc.getField(path);
    return f?.type === "string_value" ? f.value : undefined;
  };
  const update = ({ document }) => {
    const fields = byCollection.get(document.parent.getPath());
    if (!fields) return;
    for (const [path, index] of fields) {
      const before = index.keys.get(document);
      const after = keyOf(document, path);
      if (before === after) continue;
      if (before !== undefined) index.values.get(before)?.delete(document);
      if (after === undefined) index.keys.delete(document);
      else {
        index.keys.set(document, after);
        if (!index.values.has(after)) index.values.set(after, new Set());
        index.values.get(after).add(document);
      }
    }
  };
  state.emitter.setMaxListeners(0);
  for (const ev of ["create-document", "update-document", "delete-document"]) state.emitter.on(ev, update);
  state.emitter.on("clear-all-projects", () => byCollection.clear());
  return function candidates(collection, path, value) {
    const collectionPath = collection.getPath();
    if (!byCollection.has(collectionPath)) byCollection.set(collectionPath, new Map());
    const fields = byCollection.get(collectionPath);
    if (!fields.has(path)) {
      const index = { keys: new Map(), values: new Map() };
      for (const doc of collection.getAllDocuments()) {
        const k = keyOf(doc, path);
        if (k === undefined) continue;
        index.keys.set(doc, k);
        if (!index.values.has(k)) index.values.set(k, new Set());
        index.values.get(k).add(doc);
      }
      fields.set(path, index);
    }
    return fields.get(path).values.get(value) ?? new Set();
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
    const events = ["create-document", "update-document", "delete-document"];
    for (const ev of events) this.emitter.on(ev, onChange);
    onEnd(() => {
      ended = true;
      for (const ev of events) this.emitter.off(ev, onChange);
    });
  };
}

module.exports = { speedUp };

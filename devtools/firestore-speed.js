"use strict";
/**
 * Speed for the embedded Firestore server (`@firestore-emulator/server`), patched onto the package's exported
 * state classes at start (the package itself is unchanged). Two costs made large collections unusable:
 *
 * - every document and collection lookup ran through immer's `produce` over the parent's whole map, and
 *   adding one copied and froze that map: a 500-document commit into 6,000 documents took 5 s, and reading a
 *   missing id (which leaves a placeholder) grew slower with every read. Here the maps are plain objects,
 *   looked up and extended in place: O(1) per document. Nothing else holds on to them, so no snapshot is lost.
 * - a query sorted the whole collection before filtering it. Here it filters first (the package's own filter,
 *   run with the ordering and the limit taken off), then sorts the matches with the package's comparison and
 *   applies the limit. The sort is stable, so the order is the same as before.
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

  const original = FirestoreState.prototype.v1Query;
  FirestoreState.prototype.v1Query = function (parent, query) {
    const order = query.order_by ?? [];
    if (order.length === 0 && !query.has_limit) return original.call(this, parent, query);
    // The package's filter over the whole collection, unsorted and unlimited.
    const unordered = new Proxy(query, {
      get(target, key) {
        if (key === "order_by") return [];
        if (key === "has_limit") return false;
        const v = Reflect.get(target, key);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    let docs = original.call(this, parent, unordered);
    // The package's comparison (a document without the field sorts first), on the matches only.
    docs.sort((aDoc, bDoc) => {
      for (const { field, direction } of order) {
        const a = aDoc.getField(field.field_path);
        const b = bDoc.getField(field.field_path);
        if (!a || !b) {
          if (a && !b) return -1;
          if (!a && b) return 1;
          continue;
        }
        if (a.eq(b)) continue;
        const sign = direction === 2 ? -1 : direction === 1 ? 1 : 0; // DESCENDING = 2, ASCENDING = 1
        if (sign === 0) continue;
        if (a.lt(b)) return -sign;
        if (b.lt(a)) return sign;
      }
      return 0;
    });
    if (query.has_limit) docs = docs.slice(0, query.limit.value);
    return docs;
  };
}

module.exports = { speedUp };

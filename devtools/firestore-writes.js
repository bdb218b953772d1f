"use strict";
/**
 * Firestore's write semantics for the embedded Firestore (`@firestore-emulator/server`). The package merges
 * every write into the stored document: `set()` without merge kept the fields the new data leaves out, and a
 * field named in an update mask but absent from the data (`FieldValue.delete()`, or a `mergeFields` path the
 * data does not carry) was kept instead of deleted. Firestore (google.firestore.v1.Write): without an update
 * mask the document is replaced whole; with one, only the masked paths change, and a masked path the data
 * does not carry is deleted. Found through a surviving mutant: `set(…, { merge: true })` → `set(…, {})` in
 * klaviyo/delivery.ts passed every test, because here both merged. Patched onto the package's document (the
 * package is unchanged); server transforms are still applied after, by the package.
 */

/** `a.b`, `` `a.b`.c `` → segments, as Firestore writes field paths (backticks quote a segment). */
function segments(path) {
  const out = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < path.length; i++) {
    const ch = path[i];
    if (quoted) {
      if (ch === "\\" && i + 1 < path.length) cur += path[++i];
      else if (ch === "`") quoted = false;
      else cur += ch;
    } else if (ch === "`") quoted = true;
    else if (ch === ".") {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

const isMap = (f) => f != null && f.type === "map_value";
const has = (o, k) => o != null && Object.prototype.hasOwnProperty.call(o, k);

/** The field the data carries at `segs`, or undefined. */
function lookup(fields, segs) {
  let level = fields;
  for (let i = 0; i < segs.length; i++) {
    if (!has(level, segs[i])) return undefined;
    const f = level[segs[i]];
    if (i === segs.length - 1) return f;
    if (!isMap(f)) return undefined;
    level = f.value;
  }
  return undefined;
}

/** A map field like `map` (the package's own class) holding `value`. */
function withValue(map, value) {
  const copy = Object.create(Object.getPrototypeOf(map));
  Object.assign(copy, map);
  copy.value = value;
  return copy;
}

/** Sets `value` at `segs` in the fields object `obj` (deletes it for undefined), copying maps on the way. */
function put(obj, segs, value, dataLevel) {
  const [head, ...rest] = segs;
  if (rest.length === 0) {
    if (value === undefined) delete obj[head];
    else obj[head] = value;
    return;
  }
  const existing = obj[head];
  const dataMap = dataLevel && isMap(dataLevel[head]) ? dataLevel[head] : null;
  let map;
  if (isMap(existing)) map = withValue(existing, { ...existing.value });
  else if (value === undefined)
    return; // nothing stored there to delete
  else if (dataMap) map = withValue(dataMap, {});
  else return; // unreachable: a value at a.b comes from a map at a in the data
  obj[head] = map;
  put(map.value, rest, value, dataMap ? dataMap.value : undefined);
}

/** The stored fields after writing `fields` under `mask` (field paths); `current` is not changed. */
function masked(current, fields, mask) {
  const out = { ...current };
  for (const path of mask) {
    const segs = segments(path);
    put(out, segs, lookup(fields, segs), fields);
  }
  return out;
}

function firestoreWrites(pkg) {
  const { FirestoreStateDocument } = pkg;
  if (FirestoreStateDocument.prototype.__rolittWrites) return;
  FirestoreStateDocument.prototype.__rolittWrites = true;
  const { set, update, v1Transform } = FirestoreStateDocument.prototype;
  // the package applies each server transform (increment, serverTimestamp, …) as a set() of that one field
  // with no mask: that one must merge, as the package does, or it would replace the write it belongs to
  FirestoreStateDocument.prototype.v1Transform = function (...args) {
    this.__rolittTransforming = true;
    try {
      return v1Transform.apply(this, args);
    } finally {
      this.__rolittTransforming = false;
    }
  };
  // the package's own set/update keep their bookkeeping (times, events); the fields are then made Firestore's
  FirestoreStateDocument.prototype.set = function (date, fields, updateMask = []) {
    const previous = this.metadata.hasExist && !this.__rolittTransforming ? this.fields : null;
    set.call(this, date, fields, updateMask);
    if (previous) this.fields = updateMask.length === 0 ? { ...fields } : masked(previous, fields, updateMask);
  };
  FirestoreStateDocument.prototype.update = function (date, fields, updateMask = []) {
    const previous = this.fields;
    update.call(this, date, fields, updateMask);
    this.fields = updateMask.length === 0 ? { ...fields } : masked(previous, fields, updateMask);
  };
}

module.exports = { firestoreWrites, segments, masked };

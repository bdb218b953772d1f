"use strict";
/**
 * `== null` and `!= null` filters for the embedded Firestore (`@firestore-emulator/server`). The client sends
 * them as unary filters (IS_NULL, IS_NOT_NULL), which the package ignores: `where("hold", "!=", null)`
 * answered every document, so the console's "on hold" list could not be tested against the query Firestore
 * really runs (only the in-memory guard after it made the test pass). Firestore answers IS_NULL with the
 * documents whose field is null, and IS_NOT_NULL with those whose field exists and is not null; a document
 * without the field matches neither. Patched onto the package's query (the package is unchanged): the unary
 * filters are taken out, the package answers the rest without its limit, then the unary filters and the
 * limit are applied, in the package's order. NaN filters and a unary filter inside OR still throw.
 */
const IS_NULL = 3;
const IS_NOT_NULL = 5;

function unaryFilters(pkg) {
  const { FirestoreState } = pkg;
  if (FirestoreState.prototype.__rolittUnary) return;
  FirestoreState.prototype.__rolittUnary = true;

  const query = FirestoreState.prototype.v1Query;
  FirestoreState.prototype.v1Query = function (parent, q) {
    const split = q.has_where ? splitWhere(q.where) : null;
    if (!split || split.unary.length === 0) return query.call(this, parent, q);
    // The same query without the unary filters and the limit; own properties shadow the message's getters.
    const rest = Object.create(q);
    Object.defineProperty(rest, "has_where", { value: split.where !== null });
    Object.defineProperty(rest, "where", { value: split.where });
    Object.defineProperty(rest, "has_limit", { value: false });
    const docs = query.call(this, parent, rest).filter((doc) => split.unary.every((f) => matches(doc, f)));
    return q.has_limit ? docs.slice(0, q.limit.value) : docs;
  };
}

const AND = 1;

/** The unary filters of a where clause, and the clause without them (null when nothing is left). */
function splitWhere(where) {
  if (where.has_unary_filter) return { unary: [where.unary_filter], where: null };
  if (!where.has_composite_filter) return { unary: [], where };
  const filters = where.composite_filter.filters;
  const unary = filters.filter((f) => f.has_unary_filter).map((f) => f.unary_filter);
  if (unary.length === 0) return { unary, where };
  if (where.composite_filter.op !== AND) throw new Error("Not implemented: a null filter inside OR");
  const others = filters.filter((f) => !f.has_unary_filter);
  if (others.length === 0) return { unary, where: null };
  const composite = Object.create(where.composite_filter);
  Object.defineProperty(composite, "filters", { value: others });
  const rest = Object.create(where);
  Object.defineProperty(rest, "composite_filter", { value: composite });
  return { unary, where: rest };
}

function matches(doc, filter) {
  const field = doc.getField(filter.field.field_path);
  if (filter.op === IS_NULL) return field?.type === "null_value";
  if (filter.op === IS_NOT_NULL) return field !== undefined && field.type !== "null_value";
  throw new Error(`Not implemented: unary filter ${filter.op} (NaN)`);
}

module.exports = { unaryFilters };

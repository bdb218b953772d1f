"use strict";
/**
 * Nested-field reads for the embedded Firestore (`@firestore-emulator/server`). The package's documents answer
 * only top-level field paths and throw "Not implemented" for `a.b`, so a query such as
 * `where("stripe.sessionId", "==", id)` failed here although Firestore answers it (the order page's lookup by
 * session id alone could not be tested). Patched onto the package's exported document class (the package is
 * unchanged): a dotted path walks map fields, as Firestore does for filters, ordering and aggregations; a path
 * through a missing field or a non-map is a missing field. Server transforms of a nested path
 * (`FieldValue.increment` on `a.b`) still throw: the package would write a top-level field named "a.b".
 */
function nestedFields(pkg) {
  const { FirestoreStateDocument } = pkg;
  if (FirestoreStateDocument.prototype.__rolittNested) return;
  FirestoreStateDocument.prototype.__rolittNested = true;

  const getField = FirestoreStateDocument.prototype.getField;
  FirestoreStateDocument.prototype.getField = function (path) {
    if (!path.includes(".")) return getField.call(this, path);
    if (path.includes("`")) throw new Error("Not implemented: quoted field paths");
    let field = { type: "map_value", value: this.fields };
    for (const segment of path.split(".")) {
      if (field?.type !== "map_value") return undefined;
      field = field.value[segment];
    }
    return field;
  };

  const v1Transform = FirestoreStateDocument.prototype.v1Transform;
  FirestoreStateDocument.prototype.v1Transform = function (date, transforms) {
    if (transforms.some((t) => t.field_path.includes("."))) throw new Error("Not implemented: transforms of nested fields");
    return v1Transform.call(this, date, transforms);
  };
}

module.exports = { nestedFields };

// The cold-start floor: what any 2nd-gen function with the Admin SDK loads before our code.
require("firebase-functions/v2/https");
require("firebase-admin/app");

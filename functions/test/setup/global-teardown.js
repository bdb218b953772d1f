module.exports = async () => {
  globalThis.__ROLITT_FIRESTORE__?.stop();
};

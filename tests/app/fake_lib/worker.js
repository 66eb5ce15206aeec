// The fake client's worker: nothing runs here; the app only has to start it.

package org.machina.block;

import java.io.IOException;
import java.util.concurrent.CopyOnWriteArrayList;

/** Hooks a node calls before it changes a range (write, discard, write-zeroes): copy-before-write for frozen views. */
final class WriteHooks {
    interface Hook {
        void beforeWrite(long offset, long length) throws IOException;
    }

    private final CopyOnWriteArrayList<Hook> hooks = new CopyOnWriteArrayList<>();

    void add(Hook h) {
        hooks.add(h);
    }

    void remove(Hook h) {
        hooks.remove(h);
    }

    /** Runs every hook; a hook that fails fails the write, before anything was written. */
    void before(long offset, long length) throws IOException {
        for (Hook h : hooks) {
            h.beforeWrite(offset, length);
        }
    }
}

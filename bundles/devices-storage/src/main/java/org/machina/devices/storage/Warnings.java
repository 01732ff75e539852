package org.machina.devices.storage;

import org.slf4j.Logger;

/** Guest-caused warnings of one device: the first {@value #LIMIT} are logged, then it goes quiet (and says so). */
final class Warnings {
    static final int LIMIT = 20;
    private final Logger log;
    private final String prefix;
    private int count;

    Warnings(Logger log, String prefix) {
        this.log = log;
        this.prefix = prefix;
    }

    void warn(String format, Object arg) {
        if (count < LIMIT) {
            count++;
            log.warn(prefix + format + (count == LIMIT ? " (further guest errors are not logged)" : ""), arg);
        }
    }

    int count() {
        return count;
    }
}

package org.machina.monitor.commands;

import org.machina.monitor.QmpServer;

/** The version line of HMP {@code info version}: QEMU dialect and Machina package. */
final class QmpVersionText {
    static final String TEXT = QmpServer.QEMU_MAJOR + "." + QmpServer.QEMU_MINOR + "." + QmpServer.QEMU_MICRO
            + " (" + QmpServer.PACKAGE + ")";

    private QmpVersionText() {
    }
}

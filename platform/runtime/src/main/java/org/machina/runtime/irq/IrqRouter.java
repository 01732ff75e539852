package org.machina.runtime.irq;

import java.util.HashMap;
import java.util.Map;
import org.machina.api.irq.IrqLine;
import org.machina.api.irq.IrqSink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns a machine's interrupt lines. Devices get lines by controller name and input; the
 * controller registers its sink under that name, possibly later, possibly again after a
 * hot-swap. Lines remember their level so a new sink sees the current state of its inputs.
 */
public final class IrqRouter {
    private static final Logger LOG = LoggerFactory.getLogger(IrqRouter.class);

    private final Map<String, Controller> controllers = new HashMap<>();

    /** The line into {@code index} of {@code controller}. */
    public synchronized IrqLine line(String controller, int index) {
        Controller c = controllers.computeIfAbsent(controller, Controller::new);
        if (index < 0 || index >= 256) {
            throw new IllegalArgumentException("interrupt input " + index + " of '" + controller + "' is out of range 0..255");
        }
        return c.lines.computeIfAbsent(index, i -> new Line(c, i));
    }

    /** Attaches a sink; current line levels are replayed into it. */
    public synchronized void register(String controller, IrqSink sink) {
        Controller c = controllers.computeIfAbsent(controller, Controller::new);
        if (c.sink != null && c.sink != sink) {
            throw new IllegalStateException("interrupt controller '" + controller + "' is already registered");
        }
        c.sink = sink;
        for (Line l : c.lines.values()) {
            if (l.level && l.index < sink.inputs()) {
                sink.setInput(l.index, true);
            }
        }
    }

    /** Detaches a sink (its device is being removed or swapped); lines keep their levels. */
    public synchronized void unregister(String controller, IrqSink sink) {
        Controller c = controllers.get(controller);
        if (c != null && c.sink == sink) {
            c.sink = null;
        }
    }

    private static final class Controller {
        final String name;
        final Map<Integer, Line> lines = new HashMap<>();
        volatile IrqSink sink;
        boolean warned;

        Controller(String name) {
            this.name = name;
        }
    }

    private static final class Line implements IrqLine {
        private final Controller controller;
        private final int index;
        private volatile boolean level;

        Line(Controller controller, int index) {
            this.controller = controller;
            this.index = index;
        }

        @Override
        public void set(boolean newLevel) {
            level = newLevel;
            IrqSink sink = controller.sink;
            if (sink != null && index < sink.inputs()) {
                sink.setInput(index, newLevel);
            } else if (newLevel && !controller.warned) {
                controller.warned = true;
                LOG.warn("interrupt {} raised on '{}', which has no controller (or too few inputs)", index, controller.name);
            }
        }

        @Override
        public boolean level() {
            return level;
        }
    }
}

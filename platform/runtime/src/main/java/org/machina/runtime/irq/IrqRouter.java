package org.machina.runtime.irq;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.machina.api.irq.IrqLine;
import org.machina.api.irq.IrqSink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns a machine's interrupt lines. Devices get lines by controller name and input; the
 * controller registers its sink under that name, possibly later, possibly again after a
 * hot-swap. Each device (owner) has its own line per input and an input's level is the OR of
 * its lines (wired-OR, so COM1 and COM3 can share IRQ 4). A device keeps its lines, with their
 * levels, across a hot-swap; a removed device's lines are lowered and dropped. A new sink sees
 * the current level of every input.
 */
public final class IrqRouter {
    private static final Logger LOG = LoggerFactory.getLogger(IrqRouter.class);

    private final Map<String, Controller> controllers = new HashMap<>();

    /** The line {@code owner} drives into input {@code index} of {@code controller}. */
    public synchronized IrqLine line(String controller, int index, String owner) {
        if (index < 0 || index >= 256) {
            throw new IllegalArgumentException("interrupt input " + index + " of '" + controller + "' is out of range 0..255");
        }
        Controller c = controllers.computeIfAbsent(controller, Controller::new);
        Input input = c.inputs.computeIfAbsent(index, i -> new Input(c, i));
        for (Line l : input.lines) {
            if (l.owner.equals(owner)) {
                return l;
            }
        }
        Line l = new Line(input, owner);
        input.lines.add(l);
        return l;
    }

    /** Lowers and drops every line of {@code owner} (the device was removed). */
    public synchronized void releaseOwner(String owner) {
        for (Controller c : controllers.values()) {
            for (Input input : c.inputs.values()) {
                for (Line l : List.copyOf(input.lines)) {
                    if (l.owner.equals(owner)) {
                        l.set(false);
                        input.lines.remove(l);
                    }
                }
            }
        }
    }

    /** Attaches a sink; current input levels are replayed into it. */
    public synchronized void register(String controller, IrqSink sink) {
        Controller c = controllers.computeIfAbsent(controller, Controller::new);
        if (c.sink != null && c.sink != sink) {
            throw new IllegalStateException("interrupt controller '" + controller + "' is already registered");
        }
        c.sink = sink;
        for (Input input : c.inputs.values()) {
            if (input.level && input.index < sink.inputs()) {
                sink.setInput(input.index, true);
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
        final Map<Integer, Input> inputs = new HashMap<>();
        volatile IrqSink sink;
        boolean warned;

        Controller(String name) {
            this.name = name;
        }
    }

    /** One controller input: the OR of its lines. */
    private static final class Input {
        final Controller controller;
        final int index;
        final List<Line> lines = new ArrayList<>(1);
        boolean level;

        Input(Controller controller, int index) {
            this.controller = controller;
            this.index = index;
        }

        void update() {
            boolean any = false;
            for (int i = 0; i < lines.size(); i++) {
                any |= lines.get(i).level;
            }
            if (any == level) {
                return;
            }
            level = any;
            IrqSink sink = controller.sink;
            if (sink != null && index < sink.inputs()) {
                sink.setInput(index, any);
            } else if (any && !controller.warned) {
                controller.warned = true;
                LOG.warn("interrupt {} raised on '{}', which has no controller (or too few inputs)", index, controller.name);
            }
        }
    }

    private static final class Line implements IrqLine {
        private final Input input;
        private final String owner;
        private volatile boolean level;

        Line(Input input, String owner) {
            this.input = input;
            this.owner = owner;
        }

        @Override
        public void set(boolean newLevel) {
            level = newLevel;
            input.update();
        }

        @Override
        public boolean level() {
            return level;
        }
    }
}

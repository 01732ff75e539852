package org.machina.monitor;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.machina.api.machine.Machine;
import org.machina.api.monitor.CommandContext;
import org.machina.api.monitor.MonitorCommand;

/**
 * The context commands of one server run in. Commands of this bundle that need more than the SPI
 * offers ({@code query-commands}, HMP {@code help}) check for this type.
 */
public final class QmpContext implements CommandContext {
    private final QmpServer server;

    QmpContext(QmpServer server) {
        this.server = server;
    }

    @Override
    public Optional<Machine> machine() {
        return server.machine();
    }

    @Override
    public void emitEvent(String event, Map<String, Object> data) {
        server.broadcast(event, data);
    }

    /** The whiteboard commands available now, sorted by name (without the built-in {@code qmp_capabilities}). */
    public List<MonitorCommand> commands() {
        return server.registry().all();
    }
}

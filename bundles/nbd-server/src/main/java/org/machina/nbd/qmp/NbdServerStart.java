package org.machina.nbd.qmp;

import java.io.IOException;
import java.util.Map;
import org.machina.api.monitor.CommandContext;
import org.machina.api.monitor.MonitorCommand;
import org.machina.api.monitor.MonitorException;
import org.machina.nbd.api.NbdServerService;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** QMP {@code nbd-server-start {"addr": {...}}}. */
@Component(service = MonitorCommand.class, property = "machina.name=nbd-server-start")
public final class NbdServerStart implements MonitorCommand {
    @Reference
    NbdServerService server;

    @Override
    public String name() {
        return "nbd-server-start";
    }

    @Override
    public String description() {
        return "start the NBD server on a TCP or Unix socket address";
    }

    @Override
    public Object execute(CommandContext context, Map<String, Object> arguments) throws MonitorException {
        if (server.running()) {
            throw QmpArgs.error("NBD server already running");
        }
        try {
            server.start(QmpArgs.address(arguments.get("addr")));
        } catch (IOException e) {
            throw QmpArgs.error(e.getMessage());
        }
        return Map.of();
    }
}

package org.machina.nbd.qmp;

import java.util.Map;
import org.machina.api.monitor.CommandContext;
import org.machina.api.monitor.MonitorCommand;
import org.machina.api.monitor.MonitorException;
import org.machina.nbd.api.NbdServerService;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** QMP {@code nbd-server-stop}: disconnects clients, closes the socket, forgets the exports (and drops frozen views). */
@Component(service = MonitorCommand.class, property = "machina.name=nbd-server-stop")
public final class NbdServerStop implements MonitorCommand {
    @Reference
    NbdServerService server;

    @Reference
    NbdExports exports;

    @Override
    public String name() {
        return "nbd-server-stop";
    }

    @Override
    public Object execute(CommandContext context, Map<String, Object> arguments) throws MonitorException {
        if (!server.running()) {
            throw QmpArgs.error("NBD server not running");
        }
        exports.stop();
        return Map.of();
    }
}

package org.machina.nbd.qmp;

import java.util.Map;
import org.machina.api.monitor.CommandContext;
import org.machina.api.monitor.MonitorCommand;
import org.machina.api.monitor.MonitorException;
import org.machina.nbd.api.BlockNodeRegistry;
import org.machina.nbd.api.NbdServerService;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/** QMP {@code nbd-server-add {"device", "name"?, "writable"?, "description"?}}. */
@Component(service = MonitorCommand.class, property = "machina.name=nbd-server-add")
public final class NbdServerAdd implements MonitorCommand {
    @Reference
    NbdServerService server;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile BlockNodeRegistry registry;

    @Override
    public String name() {
        return "nbd-server-add";
    }

    @Override
    public String description() {
        return "export a block node over NBD (read-only unless writable is true)";
    }

    @Override
    public Object execute(CommandContext context, Map<String, Object> arguments) throws MonitorException {
        String device = CommandContext.requireString(arguments, "device");
        String name = QmpArgs.optString(arguments, "name", device);
        add(context, server, registry, device, name, QmpArgs.optBool(arguments, "writable", false),
                QmpArgs.optString(arguments, "description", ""));
        return Map.of();
    }

    static void add(CommandContext context, NbdServerService server, BlockNodeRegistry registry, String node, String name,
            boolean writable, String description) throws MonitorException {
        if (!server.running()) {
            throw QmpArgs.error("NBD server not running");
        }
        try {
            server.addExport(name, QmpArgs.node(context, registry, node), !writable, description);
        } catch (IllegalArgumentException e) {
            throw QmpArgs.error(e.getMessage());
        }
    }
}

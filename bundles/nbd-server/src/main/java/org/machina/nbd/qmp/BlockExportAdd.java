package org.machina.nbd.qmp;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.machina.api.monitor.CommandContext;
import org.machina.api.monitor.MonitorCommand;
import org.machina.api.monitor.MonitorException;
import org.machina.nbd.api.BlockNodeRegistry;
import org.machina.nbd.api.NbdServerService;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * QMP {@code block-export-add {"type":"nbd", "id", "node-name", "name"?, "writable"?, "description"?}}
 * and the id table {@code block-export-del} uses.
 */
@Component(service = {MonitorCommand.class, BlockExportAdd.class}, property = "machina.name=block-export-add")
public final class BlockExportAdd implements MonitorCommand {
    /** Export id to NBD export name. */
    final Map<String, String> ids = new ConcurrentHashMap<>();

    @Reference
    NbdServerService server;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile BlockNodeRegistry registry;

    @Override
    public String name() {
        return "block-export-add";
    }

    @Override
    public Object execute(CommandContext context, Map<String, Object> arguments) throws MonitorException {
        String type = CommandContext.requireString(arguments, "type");
        if (!type.equals("nbd")) {
            throw QmpArgs.error("export type '" + type + "' unsupported (accepted: nbd)");
        }
        String id = CommandContext.requireString(arguments, "id");
        String node = CommandContext.requireString(arguments, "node-name");
        String name = QmpArgs.optString(arguments, "name", node);
        if (ids.putIfAbsent(id, name) != null) {
            throw QmpArgs.error("Block export id '" + id + "' is already in use");
        }
        try {
            NbdServerAdd.add(context, server, registry, node, name, QmpArgs.optBool(arguments, "writable", false),
                    QmpArgs.optString(arguments, "description", ""));
        } catch (MonitorException e) {
            ids.remove(id);
            throw e;
        }
        return Map.of();
    }
}

package org.machina.nbd.qmp;

import java.util.Map;
import org.machina.api.monitor.CommandContext;
import org.machina.api.monitor.MonitorCommand;
import org.machina.api.monitor.MonitorException;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * QMP {@code block-export-add {"type":"nbd", "id", "node-name", "name"?, "writable"?, "description"?, "frozen"?}};
 * {@code frozen} (Machina) exports a point-in-time view of the node taken now.
 */
@Component(service = MonitorCommand.class, property = "machina.name=block-export-add")
public final class BlockExportAdd implements MonitorCommand {
    @Reference
    NbdExports exports;

    @Override
    public String name() {
        return "block-export-add";
    }

    @Override
    public String description() {
        return "export a block node over NBD by id (type nbd; frozen: a point-in-time view)";
    }

    @Override
    public Object execute(CommandContext context, Map<String, Object> arguments) throws MonitorException {
        String type = CommandContext.requireString(arguments, "type");
        if (!type.equals("nbd")) {
            throw QmpArgs.error("export type '" + type + "' unsupported (accepted: nbd)");
        }
        String id = CommandContext.requireString(arguments, "id");
        String node = CommandContext.requireString(arguments, "node-name");
        exports.add(context, node, QmpArgs.optString(arguments, "name", node), id,
                QmpArgs.optBool(arguments, "writable", false), QmpArgs.optBool(arguments, "frozen", false),
                QmpArgs.optString(arguments, "description", ""));
        return Map.of();
    }
}

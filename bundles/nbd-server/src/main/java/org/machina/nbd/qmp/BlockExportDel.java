package org.machina.nbd.qmp;

import java.util.Map;
import org.machina.api.monitor.CommandContext;
import org.machina.api.monitor.MonitorCommand;
import org.machina.api.monitor.MonitorException;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** QMP {@code block-export-del {"id", "mode"?}}. */
@Component(service = MonitorCommand.class, property = "machina.name=block-export-del")
public final class BlockExportDel implements MonitorCommand {
    @Reference
    NbdExports exports;

    @Override
    public String name() {
        return "block-export-del";
    }

    @Override
    public Object execute(CommandContext context, Map<String, Object> arguments) throws MonitorException {
        String id = CommandContext.requireString(arguments, "id");
        String name = exports.nameOfId(id);
        if (name == null) {
            throw QmpArgs.error("Export '" + id + "' is not found");
        }
        exports.remove(name);
        return Map.of();
    }
}

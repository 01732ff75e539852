package org.machina.nbd.qmp;

import java.util.Map;
import org.machina.api.monitor.CommandContext;
import org.machina.api.monitor.MonitorCommand;
import org.machina.api.monitor.MonitorException;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** QMP {@code nbd-server-remove {"name", "mode"?}}: removes an export, disconnecting its clients. */
@Component(service = MonitorCommand.class, property = "machina.name=nbd-server-remove")
public final class NbdServerRemove implements MonitorCommand {
    @Reference
    NbdExports exports;

    @Override
    public String name() {
        return "nbd-server-remove";
    }

    @Override
    public Object execute(CommandContext context, Map<String, Object> arguments) throws MonitorException {
        String name = CommandContext.requireString(arguments, "name");
        if (!exports.remove(name)) {
            throw QmpArgs.error("Export '" + name + "' is not found");
        }
        return Map.of();
    }
}

package org.machina.nbd.qmp;

import java.util.Map;
import org.machina.api.monitor.CommandContext;
import org.machina.api.monitor.MonitorCommand;
import org.machina.api.monitor.MonitorException;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * QMP {@code nbd-server-add {"device", "name"?, "writable"?, "description"?, "frozen"?}}; {@code frozen}
 * (Machina) exports a point-in-time view of the device taken now, read-only, while the guest keeps writing.
 */
@Component(service = MonitorCommand.class, property = "machina.name=nbd-server-add")
public final class NbdServerAdd implements MonitorCommand {
    @Reference
    NbdExports exports;

    @Override
    public String name() {
        return "nbd-server-add";
    }

    @Override
    public String description() {
        return "export a block node over NBD (read-only unless writable is true; frozen: a point-in-time view)";
    }

    @Override
    public Object execute(CommandContext context, Map<String, Object> arguments) throws MonitorException {
        String device = CommandContext.requireString(arguments, "device");
        exports.add(context, device, QmpArgs.optString(arguments, "name", device), null,
                QmpArgs.optBool(arguments, "writable", false), QmpArgs.optBool(arguments, "frozen", false),
                QmpArgs.optString(arguments, "description", ""));
        return Map.of();
    }
}

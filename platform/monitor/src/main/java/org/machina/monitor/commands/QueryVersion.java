package org.machina.monitor.commands;

import java.util.Map;
import java.util.Set;
import org.machina.api.monitor.CommandContext;
import org.machina.api.monitor.MonitorCommand;
import org.machina.api.monitor.MonitorException;
import org.osgi.service.component.annotations.Component;
import org.machina.monitor.QmpServer;

/** QMP {@code query-version}: the QEMU version whose QMP this monitor speaks, and the Machina package. */
@Component(service = MonitorCommand.class, property = "machina.name=query-version")
public final class QueryVersion implements MonitorCommand {
    @Override
    public String name() {
        return "query-version";
    }

    @Override
    public String description() {
        return "the QEMU version whose QMP this monitor speaks, and the Machina package";
    }

    @Override
    public Object execute(CommandContext context, Map<String, Object> arguments) throws MonitorException {
        Args.only(arguments, Set.of());
        return Args.ordered("qemu", Args.ordered("micro", QmpServer.QEMU_MICRO, "minor", QmpServer.QEMU_MINOR,
                "major", QmpServer.QEMU_MAJOR), "package", QmpServer.PACKAGE);
    }
}

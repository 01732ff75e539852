package org.machina.monitor.commands;

import java.util.Map;
import java.util.Set;
import org.machina.api.monitor.CommandContext;
import org.machina.api.monitor.MonitorCommand;
import org.machina.api.monitor.MonitorException;
import org.osgi.service.component.annotations.Component;

/** QMP {@code cont}: resumes a paused machine, or starts a created one (event RESUME). */
@Component(service = MonitorCommand.class, property = "machina.name=cont")
public final class Cont implements MonitorCommand {
    @Override
    public String name() {
        return "cont";
    }

    @Override
    public String description() {
        return "resumes a paused machine, or starts a created one (event RESUME)";
    }

    @Override
    public Object execute(CommandContext context, Map<String, Object> arguments) throws MonitorException {
        Args.only(arguments, Set.of());
        context.requireMachine().start();
        return Map.of();
    }
}

package org.machina.monitor.commands;

import java.util.Map;
import java.util.Set;
import org.machina.api.monitor.CommandContext;
import org.machina.api.monitor.MonitorCommand;
import org.machina.api.monitor.MonitorException;
import org.osgi.service.component.annotations.Component;
import org.machina.api.machine.MachineState;

/** QMP {@code query-status}: the run state of the machine. */
@Component(service = MonitorCommand.class, property = "machina.name=query-status")
public final class QueryStatus implements MonitorCommand {
    @Override
    public String name() {
        return "query-status";
    }

    @Override
    public String description() {
        return "the run state of the machine";
    }

    @Override
    public Object execute(CommandContext context, Map<String, Object> arguments) throws MonitorException {
        Args.only(arguments, Set.of());
        MachineState state = context.requireMachine().state();
        return Args.ordered("status", state.qmpName(), "singlestep", false,
                "running", state == MachineState.RUNNING);
    }
}

package org.machina.monitor.commands;

import java.util.Map;
import java.util.Set;
import org.machina.api.machine.Machine;
import org.machina.api.monitor.CommandContext;
import org.machina.api.monitor.MonitorCommand;
import org.machina.api.monitor.MonitorException;
import org.osgi.service.component.annotations.Component;

/**
 * QMP {@code x-machina-fastpath}: switches the machine's fast path on or off while it runs
 * ({@code enable}), or only reports it; returns {@code {"enabled": BOOL, "was": BOOL}}. With it
 * off every device access takes the normal path, as with each device's {@code fastpath=off}, so
 * one run can compare both (scripts/bench/fastpath-guest-bench.sh).
 */
@Component(service = MonitorCommand.class, property = "machina.name=x-machina-fastpath")
public final class FastPathSwitch implements MonitorCommand {
    @Override
    public String name() {
        return "x-machina-fastpath";
    }

    @Override
    public String description() {
        return "switches the machine's device fast path on or off at run time (enable: bool; absent: report)";
    }

    @Override
    public Object execute(CommandContext context, Map<String, Object> arguments) throws MonitorException {
        Args.only(arguments, Set.of("enable"));
        Machine machine = context.requireMachine();
        boolean was = machine.fastPathEnabled();
        if (arguments.containsKey("enable")) {
            try {
                was = machine.fastPath(Args.optBool(arguments, "enable", true));
            } catch (UnsupportedOperationException e) {
                throw Args.error(e.getMessage());
            }
        }
        return Args.ordered("enabled", machine.fastPathEnabled(), "was", was);
    }
}

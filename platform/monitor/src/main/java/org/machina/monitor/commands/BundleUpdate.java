package org.machina.monitor.commands;

import java.util.Map;
import java.util.Set;
import org.machina.api.monitor.CommandContext;
import org.machina.api.monitor.MonitorCommand;
import org.machina.api.monitor.MonitorException;
import org.machina.api.machine.BundleService;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/** QMP {@code x-machina-bundle-update}: replaces a bundle (id or symbolic name) with the jar at location, hot-swapping its devices. */
@Component(service = MonitorCommand.class, property = "machina.name=x-machina-bundle-update")
public final class BundleUpdate extends BundleCommand {
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile BundleService bundles;

    @Override
    BundleService bundleService() {
        return bundles;
    }

    @Override
    public String name() {
        return "x-machina-bundle-update";
    }

    @Override
    public String description() {
        return "replaces a bundle (id or symbolic name) with the jar at location, hot-swapping its devices";
    }

    @Override
    public Object execute(CommandContext context, Map<String, Object> arguments) throws MonitorException {
        Args.only(arguments, Set.of("bundle", "location"));
        String bundle = Args.stringOrInt(arguments, "bundle");
        return toQmp(bundles().update(bundle, Args.string(arguments, "location")));
    }
}

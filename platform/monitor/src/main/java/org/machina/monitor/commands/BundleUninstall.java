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

/** QMP {@code x-machina-bundle-uninstall}: uninstalls a bundle (id or symbolic name); force removes devices using it first. */
@Component(service = MonitorCommand.class, property = "machina.name=x-machina-bundle-uninstall")
public final class BundleUninstall extends BundleCommand {
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile BundleService bundles;

    @Override
    BundleService bundleService() {
        return bundles;
    }

    @Override
    public String name() {
        return "x-machina-bundle-uninstall";
    }

    @Override
    public String description() {
        return "uninstalls a bundle (id or symbolic name); force removes devices using it first";
    }

    @Override
    public Object execute(CommandContext context, Map<String, Object> arguments) throws MonitorException {
        Args.only(arguments, Set.of("bundle", "force"));
        String bundle = Args.stringOrInt(arguments, "bundle");
        bundles().uninstall(bundle, Args.optBool(arguments, "force", false));
        return Map.of();
    }
}

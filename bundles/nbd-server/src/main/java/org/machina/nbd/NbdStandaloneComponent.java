package org.machina.nbd;

import java.util.List;
import org.machina.api.block.BlockDriver;
import org.machina.nbd.api.NbdStandalone;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/** {@link NbdStandalone} as a service, opening images with the framework's {@link BlockDriver} services. */
@Component(service = NbdStandalone.class)
public final class NbdStandaloneComponent implements NbdStandalone {
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile List<BlockDriver> drivers = List.of();

    private final StandaloneServer delegate = new StandaloneServer(() -> drivers);

    @Override
    public Serving serve(Options options) throws java.io.IOException {
        return delegate.serve(options);
    }
}

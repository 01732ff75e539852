package org.machina.api.bus.ieee1394;

import org.osgi.annotation.versioning.ConsumerType;

/** Receives the response of a request a node sent, when the responder acknowledged it as pending. */
@ConsumerType
@FunctionalInterface
public interface ResponseHandler {
    void response(AsyncResponse response);
}

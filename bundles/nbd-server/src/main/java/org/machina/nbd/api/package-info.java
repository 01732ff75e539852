/**
 * The NBD server as a service: exports block nodes over TCP or Unix sockets, and a small registry
 * through which monitor commands find block nodes by name.
 */
@Version("1.2.0")
@Export
package org.machina.nbd.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;

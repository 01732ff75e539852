/**
 * Fast-path handlers: hot registers served on the vCPU thread without the machine lock.
 */
@Version("1.0.0")
@Export
package org.machina.api.fastpath;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;

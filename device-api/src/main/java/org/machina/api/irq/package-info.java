/**
 * Interrupt lines and interrupt controller contracts.
 */
@Version("1.0.0")
@Export
package org.machina.api.irq;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;

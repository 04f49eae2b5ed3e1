/** The small HTTP/1.1 server the testkit's simulators serve on. */
@NullMarked
package dev.inferscope.testkit.http;

import org.jspecify.annotations.NullMarked;

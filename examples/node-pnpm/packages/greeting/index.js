'use strict';

/** Returns the greeting the example server puts in its answer. */
function greeting(name) {
  return `greetings, ${name || 'world'}`;
}

module.exports = { greeting };

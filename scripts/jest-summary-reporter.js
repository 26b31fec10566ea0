// Prints one plain closing line ("N passed, N failed") that CI log readers
// recognise regardless of the runner's own summary format.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const { numPassedTests, numFailedTests, numPendingTests } = results;
    const failedSuites = results.numFailedTestSuites;
    const failed = numFailedTests + (failedSuites && !numFailedTests ? failedSuites : 0);
    process.stdout.write(`\njest: ${numPassedTests} passed, ${failed} failed, ${numPendingTests} skipped\n`);
  }
}
module.exports = SummaryReporter;

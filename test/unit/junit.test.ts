import { describe, expect, it } from 'bun:test'
import { failedTests, failuresAgain, unescapeXml } from '../../scripts/junit.ts'

// What bun test 1.4.4 wrote for three failures in nested describe blocks (--reporter=junit).
const REPORT = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="bun test" tests="4" assertions="2" failures="3" skipped="0" time="0.06">
  <testsuite name="test/a.test.ts" file="test/a.test.ts" tests="4" assertions="2" failures="3" skipped="0" time="0.05" hostname="vm">
    <testsuite name="outer &quot;q&quot; &lt;x&gt;" file="test/a.test.ts" line="2" tests="4" assertions="2" failures="3" skipped="0" time="0" hostname="vm">
      <testsuite name="inner" file="test/a.test.ts" line="2" tests="4" assertions="2" failures="3" skipped="0" time="0.056" hostname="vm">
        <testcase name="fails &amp; here" classname="inner &gt; outer &quot;q&quot; &lt;x&gt;" time="0.006679" file="test/a.test.ts" line="3" assertions="1">
          <failure type="AssertionError" message="expect(received).toBe(expected)&#10;&#10;Expected: 3&#10;Received: 2&#10;">AssertionError: expect(received).toBe(expected)&#10;&#10;Expected: 3&#10;Received: 2&#10;&#10;      at test/a.test.ts:3:53&#10;</failure>
        </testcase>
        <testcase name="passes" classname="inner &gt; outer &quot;q&quot; &lt;x&gt;" time="0.000035" file="test/a.test.ts" line="4" assertions="1" />
        <testcase name="throws" classname="inner &gt; outer &quot;q&quot; &lt;x&gt;" time="0.000172" file="test/a.test.ts" line="5" assertions="0">
          <failure type="Error" message="boom&#10;second line">Error: boom&#10;second line&#10;      at test/a.test.ts:5:57&#10;</failure>
        </testcase>
      </testsuite>
    </testsuite>
    <testcase name="times out" classname="" time="0.05034" file="test/a.test.ts" line="7" assertions="0">
      <failure type="TimeoutError" message="test timed out" />
    </testcase>
  </testsuite>
</testsuites>`

describe('the failed tests of a JUnit report (scripts/junit.ts)', () => {
  it('names each with its describe blocks, where it is, and its failure text', () => {
    expect(failedTests(REPORT)).toEqual([
      {
        where: 'test/a.test.ts:3',
        name: 'outer "q" <x> > inner > fails & here',
        text: 'AssertionError: expect(received).toBe(expected)\n\nExpected: 3\nReceived: 2\n\n      at test/a.test.ts:3:53',
      },
      {
        where: 'test/a.test.ts:5',
        name: 'outer "q" <x> > inner > throws',
        text: 'Error: boom\nsecond line\n      at test/a.test.ts:5:57',
      },
      { where: 'test/a.test.ts:7', name: 'times out', text: 'test timed out' },
    ])
  })

  it('a report without failures has none', () => {
    expect(failedTests(REPORT.replace(/<failure[\s\S]*?(\/>|<\/failure>)/g, ''))).toEqual([])
  })

  it('decodes named and numeric entities, and leaves an unknown one', () => {
    expect(unescapeXml('&lt;a&gt; &amp;amp; &#10;&#x41;&nbsp;')).toBe('<a> &amp; \nA&nbsp;')
  })

  it('repeats each failure under its name, its error cut at maxLines; nothing when none failed', () => {
    expect(failuresAgain(failedTests(REPORT), 2)).toBe(
      [
        '',
        'scripts/test.ts: the failed tests again, with their errors:',
        '(fail) test/a.test.ts:3 outer "q" <x> > inner > fails & here',
        '  AssertionError: expect(received).toBe(expected)',
        '  ',
        '(fail) test/a.test.ts:5 outer "q" <x> > inner > throws',
        '  Error: boom',
        '  second line',
        '(fail) test/a.test.ts:7 times out',
        '  test timed out',
        '',
      ].join('\n'),
    )
    expect(failuresAgain([])).toBe('')
  })
})

@area.responses
Feature: Every response code the switch can answer with (应答码)
  The profile's response-code table (response-codes.json) says, for every code, whether the
  outcome is success, failure (final) or unknown (query the transaction). A terminal that
  takes an unknown outcome for a failure refunds the payer in cash while the money was taken;
  one that queries or reverses a final decline puts load on the network and, with a reversal,
  can undo a transaction another attempt has since approved. Each row is a code of the table:
  adding a code adds a scenario.

  @tc.RSP-<key> @req.R-FLOW-02 @req.R-FLOW-12 @role.acquirer @code.<key>
  Scenario Outline: The SUT's terminal books a purchase refused with response code <key> (<en>) as declined, and leaves it there
    Given a payer account at the peer holding 100.00 CNY
    And the peer's wallet shows a payment code for that account
    And the switch will refuse the SUT's next purchase with response code "<key>"
    When the SUT's terminal scans the payment code for 30.00 CNY
    Then the SUT reports the purchase as declined with response code "<key>"
    And the SUT neither queried nor reversed the purchase
    And the payer account at the peer holds 100.00 CNY

    @rows.final-response-codes
    Examples: every code of the profile whose outcome is failure
      | key | en |

  @tc.RSP-<key> @req.R-FLOW-02 @req.R-FLOW-04 @role.acquirer @code.<key>
  Scenario Outline: The SUT's terminal queries a purchase answered with response code <key> (<en>) and books what it finds
    Given a payer account at the peer holding 100.00 CNY
    And the peer's wallet shows a payment code for that account
    And the switch will answer the SUT's next purchase with response code "<key>", whatever its outcome
    And the switch will lose its result notices to the SUT
    When the SUT's terminal scans the payment code for 30.00 CNY
    Then the SUT reports the purchase as unknown, not as failed
    And the SUT reports the purchase as approved once it has queried it
    And the payer account at the peer holds 70.00 CNY

    @rows.unknown-response-codes
    Examples: every code of the profile whose outcome is unknown
      | key | en |

  @tc.RSP-W04 @req.R-FLOW-02 @req.R-FLOW-04 @role.issuer
  Scenario: The SUT's wallet queries a payment answered with response code 04, on the profile's schedule, and books what it finds
    Given a payer account at the SUT holding 100.00 CNY
    And a static merchant code of the peer acquirer for merchant "Corner Shop"
    And the switch will answer the SUT's next payment with response code "04", whatever its outcome
    When the payer scans the merchant code in the SUT's wallet and pays 30.05 CNY
    Then the SUT reports the payment as unknown, not as failed
    And the SUT reports the payment as approved once it has queried it
    And the payer account at the SUT holds 69.95 CNY

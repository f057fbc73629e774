@area.void
Feature: Voids (消费撤销)
  On the day of a purchase, its acquirer may void it: the full amount goes back to the payer,
  once, within the same clearing day.

  @tc.VOID-01 @req.R-FLOW-13 @role.issuer @feature.void
  Scenario: The SUT voids a purchase once, for its full amount
    Given a payer account at the SUT holding 500.00 CNY
    And the SUT's wallet shows a payment code for that account
    And the peer acquirer's terminal was paid 60.00 CNY with that payment code
    When the peer acquirer voids that purchase
    Then the peer acquirer reports the void as approved
    And the payer account at the SUT holds 500.00 CNY
    When the peer acquirer voids that purchase again
    Then the peer acquirer reports the void as declined with response code "45"
    And the payer account at the SUT holds 500.00 CNY

  @tc.VOID-02 @req.R-FLOW-13 @role.issuer @absent.void
  Scenario: An SUT that does not declare voids refuses one, as its ICS says
    Given a payer account at the SUT holding 500.00 CNY
    And the SUT's wallet shows a payment code for that account
    And the peer acquirer's terminal was paid 60.00 CNY with that payment code
    When the peer acquirer voids that purchase
    Then the peer acquirer reports the void as declined
    And the payer account at the SUT holds 440.00 CNY

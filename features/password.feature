@area.password
Feature: Password step-up above the pin-free limit (验密)
  A payment code pays without a password up to its pin-free limit (CNY 1,000 unless the
  profile's business.json says otherwise). Above it the switch holds the purchase, asks the
  payer's issuer to have the payer confirm with the password (cpm.additional_processing), and
  tells the acquirer that the purchase waits for the payer (response code 70). Payers here are
  in risk tier B, whose daily limit (CNY 5,000) leaves room above the pin-free limit. The issuer
  reports the payer's decision (cpm.additional_processing_result); the acquirer learns it from
  the switch's result notice or by querying (cpm.status_query), and no money moves unless the
  payer confirmed.

  @tc.CPM-03 @req.R-FLOW-09 @role.issuer @feature.cpm-password
  Scenario: The payer confirms a purchase above the pin-free limit in the SUT's wallet
    Given a payer account at the SUT holding 2000.00 CNY
    And the payer account at the SUT is in risk tier B
    And the SUT's wallet shows a payment code for that account
    When the peer acquirer's terminal scans the payment code for 1500.00 CNY
    Then the peer acquirer reports the purchase as waiting for the payer
    And the SUT acknowledged the switch's request to have the payer confirm with the password
    And the payer account at the SUT holds 2000.00 CNY
    When the payer confirms the purchase with the password in the SUT's wallet
    Then the peer acquirer reports the purchase as approved once it has queried it
    And both institutions recorded the same amount, currency, voucher number and settlement date
    And the payer account at the SUT holds 500.00 CNY

  @tc.CPM-04 @req.R-FLOW-09 @role.issuer @feature.cpm-password
  Scenario: The payer cancels at the password prompt of the SUT's wallet, and no money moves
    Given a payer account at the SUT holding 2000.00 CNY
    And the payer account at the SUT is in risk tier B
    And the SUT's wallet shows a payment code for that account
    When the peer acquirer's terminal scans the payment code for 1500.00 CNY
    Then the peer acquirer reports the purchase as waiting for the payer
    When the payer cancels the purchase at the password prompt of the SUT's wallet
    Then the peer acquirer reports the purchase as declined with response code "30" once it has queried it
    And the payer account at the SUT holds 2000.00 CNY

  @tc.CPM-05 @req.R-FLOW-02 @req.R-FLOW-04 @role.acquirer
  Scenario: The SUT's terminal waits while a peer wallet asks for the password, then queries
    Given a payer account at the peer holding 2000.00 CNY
    And the payer account at the peer is in risk tier B
    And the peer's wallet shows a payment code for that account
    And the switch will lose its result notices to the SUT
    When the SUT's terminal scans the payment code for 1500.00 CNY
    Then the SUT reports the purchase as waiting for the payer, not as failed
    When the payer confirms the purchase with the password in the peer's wallet
    Then the SUT reports the purchase as approved once it has queried it
    And the SUT queried the purchase no sooner than the profile's first query delay
    And both institutions recorded the same amount, currency, voucher number and settlement date
    And the payer account at the peer holds 500.00 CNY

  @tc.CPM-10 @req.R-FLOW-09 @role.issuer @feature.cpm-password
  Scenario: The SUT's wallet pays exactly the pin-free limit without the password, and asks for it one fen above
    Given a payer account at the SUT holding 2500.00 CNY
    And the payer account at the SUT is in risk tier B
    And the SUT's wallet shows a payment code for that account
    When the peer acquirer's terminal scans the payment code for 1000.00 CNY
    Then the peer acquirer reports the purchase as approved
    And the payer account at the SUT holds 1500.00 CNY
    When the SUT's wallet shows a payment code for that account
    And the peer acquirer's terminal scans the payment code for 1000.01 CNY
    Then the peer acquirer reports the purchase as waiting for the payer
    And the SUT acknowledged the switch's request to have the payer confirm with the password
    When the payer confirms the purchase with the password in the SUT's wallet
    Then the peer acquirer reports the purchase as approved once it has queried it
    And the payer account at the SUT holds 499.99 CNY

  @tc.CPM-11 @req.R-CPM-03 @role.issuer @feature.cpm-password
  Scenario: A payment code whose purchase the payer cancelled at the SUT's password prompt cannot pay again
    Given a payer account at the SUT holding 2000.00 CNY
    And the payer account at the SUT is in risk tier B
    And the SUT's wallet shows a payment code for that account
    When the peer acquirer's terminal scans the payment code for 1500.00 CNY
    Then the peer acquirer reports the purchase as waiting for the payer
    When the payer cancels the purchase at the password prompt of the SUT's wallet
    Then the peer acquirer reports the purchase as declined with response code "30" once it has queried it
    When the peer acquirer's terminal scans the same payment code again for 10.00 CNY
    Then the peer acquirer reports the purchase as declined with response code "72"
    And the payer account at the SUT holds 2000.00 CNY

  @tc.CPM-12 @req.R-FLOW-10 @role.issuer @feature.cpm-password
  Scenario: The SUT's wallet refuses at the password step a purchase past the payer's daily limit
    Given a payer account at the SUT holding 6000.00 CNY
    And the payer account at the SUT is in risk tier B
    And the SUT's wallet shows a payment code for that account
    When the peer acquirer's terminal scans the payment code for 5000.01 CNY
    Then the peer acquirer reports the purchase as declined with response code "33"
    And the payer account at the SUT holds 6000.00 CNY

  @tc.CPM-13 @req.R-FLOW-09 @role.issuer @feature.cpm-password
  Scenario: The payer confirms in the SUT's wallet a purchase the balance no longer covers, and it is declined
    Given a payer account at the SUT holding 2000.00 CNY
    And the payer account at the SUT is in risk tier B
    And the SUT's wallet shows a payment code for that account
    And a dynamic merchant code of the peer's acquirer for 1000.00 CNY
    When the peer acquirer's terminal scans the payment code for 1500.00 CNY
    Then the peer acquirer reports the purchase as waiting for the payer
    When the payer scans the merchant code in the SUT's wallet
    Then the SUT reports the payment as approved
    When the payer confirms the purchase with the password in the SUT's wallet
    Then the peer acquirer reports the purchase as declined with response code "64" once it has queried it
    And the payer account at the SUT holds 1000.00 CNY
